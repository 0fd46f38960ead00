// The source layers import one way: bin → cdk → gateway-container / functions → proto (functions and
// gateway-container never import each other), and the configuration files of cdk/ import no file that imports
// them back. Read from the sources' relative imports (type-only imports included: a type circle is a circle).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['proto', 'functions', 'gateway-container', 'cdk', 'bin'] as const;
const RANK: Record<string, number> = { proto: 0, functions: 1, 'gateway-container': 1, cdk: 2, bin: 3 };

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.includes('generated'))
    .map((f) => join(dir, f));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
    out.push(relative(ROOT, normalize(join(ROOT, dirname(file), m[1]!.replace(/\.js$/, '.ts')))));
  }
  return out;
}

const graph = new Map(LAYERS.flatMap(sources).map((f) => [f, importsOf(f)] as const));

describe('import layers', () => {
  it('never import from a higher layer, nor between functions and gateway-container', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = file.split('/')[0]!;
      for (const dep of deps) {
        const to = dep.split('/')[0]!;
        if (!(to in RANK)) continue;
        if (RANK[to]! > RANK[from]! || (RANK[to] === 1 && RANK[from] === 1 && to !== from)) wrong.push(`${file} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('have no import circle in cdk/ or proto/', () => {
    // The graph is read from the sources (a parser that found nothing would pass vacuously).
    expect(graph.get('cdk/config-schema.ts')).toContain('cdk/config-types.ts');
    expect(graph.get('cdk/definitions.ts')).toContain('cdk/config-schema.ts');
    const circles: string[] = [];
    for (const start of graph.keys()) {
      if (!start.startsWith('cdk/') && !start.startsWith('proto/')) continue;
      const seen = new Set<string>();
      const walk = (file: string, path: string[]): void => {
        for (const dep of graph.get(file) ?? []) {
          if (dep === start) circles.push([...path, dep].join(' → '));
          else if (!seen.has(dep) && (dep.startsWith('cdk/') || dep.startsWith('proto/'))) {
            seen.add(dep);
            walk(dep, [...path, dep]);
          }
        }
      };
      walk(start, [start]);
    }
    expect(circles).toEqual([]);
  });
});
