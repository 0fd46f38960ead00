// Cold init per Lambda function, measured as Lambda pays it: a fresh Node process imports the function's bundle
// (built as the CDK builds it, test/support/function-bundles.ts) and runs its first invocation against the local
// stack pieces the harness started (DynamoDB Local, the simulator over encrypted TCP). Each function runs in
// RUNS fresh processes; the baseline is a fresh process importing an empty module, in the same run. One unmeasured
// round of first invocations warms the local stand-ins for DynamoDB and OpenD first (they are always warm in AWS).
// The process gets the functions' NODE_OPTIONS (cdk/bundling.ts) and the source map beside the bundle, as deployed.
// The AWS SDK comes from the SDK layer (cdk/sdk-layer.ts) built into BUNDLE_DIR/node_modules, where the bundles
// resolve it first, as in Lambda (test/infra/bundle-size.test.ts checks the resolution): loading it is part of
// every cold-init figure. What is not in the figure: Node's own start-up (the same for every function, and
// Lambda's runtime is already up when it imports the handler) and Lambda's download of the code and the layer.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildEvent } from '../../../bin/local/http-api.js';
import { EXTERNAL_MODULES, FUNCTION_NODE_OPTIONS } from '../../../cdk/bundling.js';
import { FUNCTION_IDS, FUNCTIONS, ROUTES, type FunctionId } from '../../../cdk/definitions.js';
import type { FunctionsHarness } from '../../support/functions-harness.js';
import { BUNDLE_DIR, bundleFunction, bundleWithSdkInlined, sdkLayerFor, type FunctionBundle } from '../../support/function-bundles.js';
import { SDK_LAYER_PACKAGES } from '../../../cdk/sdk-layer.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));
export const COLD_RUNS = 5;
export const COLD_BUDGET_MS = 150;

interface Sample { importMs: number; totalMs: number; cpuMs: number; outcome: string }
export interface ColdStart {
  id: FunctionId | 'baseline';
  first: string;
  samples: Sample[];
  bundle?: FunctionBundle;
  /** Import only, interleaved process by process: this bundle with the layer vs the same function with the SDK inlined. */
  layout?: { layer: Sample[]; inlined: Sample[] };
}

function http(routeKey: keyof typeof ROUTES, path: string, url = path, pathParameters: Record<string, string> = {}) {
  return buildEvent(routeKey, pathParameters, { method: routeKey.split(' ')[0]!, url });
}

function busEvent(detailType: string, detail: Record<string, unknown>) {
  return { version: '0', id: `cold-${Date.now()}`, source: 'opend', account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [], 'detail-type': detailType, detail };
}

/** Each function's first invocation: a cheap, real request of its kind ('import only' where the local stack has none). */
function firstEvent(id: FunctionId, accId: string): { what: string; event?: unknown } {
  switch (id) {
    case 'quotes': return { what: 'GET /v1/quotes?codes=HK.00700', event: http('GET /v1/quotes', '/v1/quotes', '/v1/quotes?codes=HK.00700') };
    case 'accounts': return { what: 'GET /v1/accounts', event: http('GET /v1/accounts', '/v1/accounts') };
    case 'orders': return { what: 'GET /v1/accounts/{accId}/orders', event: http('GET /v1/accounts/{accId}/orders', `/v1/accounts/${accId}/orders`, `/v1/accounts/${accId}/orders`, { accId }) };
    case 'gateway': return { what: 'GET /v1/gateway', event: http('GET /v1/gateway', '/v1/gateway') };
    case 'subscriptions': return { what: 'GET /v1/subscriptions', event: http('GET /v1/subscriptions', '/v1/subscriptions') };
    case 'orderEvents':
      return { what: 'Gateway State event', event: busEvent('Gateway State', { ready: true, gatewayTime: new Date().toISOString() }) };
    case 'strategyDca': return { what: 'dry run, HK.00700', event: { security: 'HK.00700', quantity: 100, runDate: '2025-01-15', dryRun: true } };
    case 'settleOrders': return { what: 'settle HK', event: { trdMarket: 'HK' } };
    default: return { what: 'import only' };
  }
}

async function once(file: string, handler: string | undefined, eventFile: string | undefined, name: string): Promise<Sample> {
  const args = handler && eventFile ? [CHILD, file, handler, eventFile, name] : [CHILD, file];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: FUNCTION_NODE_OPTIONS ?? '' }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Sample;
}

/** Baseline first, then every function: RUNS fresh processes each. `advance` keeps the simulator's rate windows open. */
let loadAtStart: number | undefined;

export async function coldStarts(h: FunctionsHarness, accId: string): Promise<ColdStart[]> {
  loadAtStart = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'opend-cold-'));
  try {
    const empty = join(BUNDLE_DIR, 'empty.mjs');
    await bundleFunction('streamFanout'); // makes BUNDLE_DIR
    writeFileSync(empty, '');
    const out: ColdStart[] = [];
    // One unmeasured first invocation of every function first: it warms the local stand-ins (DynamoDB Local's JVM
    // compiles its request paths on first use, the simulator its handlers), which in AWS are always warm. Each
    // measured process below is still a fresh Node process with nothing cached.
    for (const id of FUNCTION_IDS) {
      const { event } = firstEvent(id, accId);
      if (event === undefined) continue;
      const bundle = await bundleFunction(id);
      const eventFile = join(dir, `${id}.json`);
      writeFileSync(eventFile, JSON.stringify(event));
      h.sim.advance(31_000);
      await once(bundle.file, FUNCTIONS[id].handler, eventFile, id);
    }
    const base: Sample[] = [];
    for (let i = 0; i < COLD_RUNS; i++) base.push(await once(empty, undefined, undefined, 'baseline'));
    out.push({ id: 'baseline', first: 'import an empty module', samples: base });
    for (const id of FUNCTION_IDS) {
      const bundle = await bundleFunction(id);
      const { what, event } = firstEvent(id, accId);
      const eventFile = event === undefined ? undefined : join(dir, `${id}.json`);
      if (eventFile) writeFileSync(eventFile, JSON.stringify(event));
      const samples: Sample[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        h.sim.advance(31_000); // past Futu's 30 s windows on the simulator's virtual clock (untimed)
        samples.push(await once(bundle.file, eventFile ? FUNCTIONS[id].handler : undefined, eventFile, id));
      }
      // The layout question (SDK from the layer, or inlined as before it): import only, alternating, same load.
      const inlinedFile = await bundleWithSdkInlined(id);
      const layout = { layer: [] as Sample[], inlined: [] as Sample[] };
      for (let i = 0; i < COLD_RUNS; i++) {
        const first = i % 2 === 0;
        if (first) layout.layer.push(await once(bundle.file, undefined, undefined, id));
        layout.inlined.push(await once(inlinedFile, undefined, undefined, id));
        if (!first) layout.layer.push(await once(bundle.file, undefined, undefined, id));
      }
      out.push({ id, first: what, samples, bundle, layout });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1]!;
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`.padStart(7);

/** The rows bench:functions prints: each function's minified size against its budget, and its cold init p50. */
export function printColdStarts(rows: ColdStart[]): void {
  const base = rows.find((r) => r.id === 'baseline')!;
  const baseP50 = p50(base.samples.map((s) => s.totalMs));
  const layer = sdkLayerFor(BUNDLE_DIR);
  const external = EXTERNAL_MODULES.length ? `${EXTERNAL_MODULES.join(', ')} from the SDK layer` : 'AWS SDK bundled';
  console.log(`\nLambda bundles and cold starts (esbuild as cdk/bundling.ts: esm, node22, minified, ${external}; 1 KB = 1024 bytes)`);
  const loads = (pkgs: string[]) => {
    const files = new Set(pkgs.flatMap((p) => layer.staticImports[p] ?? []));
    return [...files].reduce((n, f) => n + (layer.files[f] ?? 0), 0);
  };
  const versions = [...new Set(SDK_LAYER_PACKAGES.map((p) => layer.versions[p]))].join(', ');
  console.log(
    `AWS SDK layer ${versions}: ${kb(layer.bytes).trim()} in ${Object.keys(layer.files).length} files, shared by all functions, loaded at cold start: ` +
      `included in every cold-init figure (DynamoDB clients load ${kb(loads(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'])).trim()} of it, ` +
      `+ Secrets Manager ${kb(loads(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-secrets-manager']) - loads(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'])).trim()}, ` +
      `+ API Gateway Management ${kb(loads(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-apigatewaymanagementapi']) - loads(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'])).trim()})`,
  );
  console.log(`cold init = import of the bundle + first invocation in a fresh Node process, p50 of ${COLD_RUNS}; budget ${COLD_BUDGET_MS} ms`);
  console.log(`  load average (1 min) at the start of these rows ${loadAtStart?.toFixed(2) ?? '?'}, at the end ${loadavg()[0]!.toFixed(2)}`);
  console.log(`  baseline: fresh process importing an empty module   p50 ${baseP50.toFixed(1).padStart(6)} ms`);
  for (const r of rows) {
    if (!r.bundle) continue;
    const b = r.bundle;
    const total = p50(r.samples.map((s) => s.totalMs));
    const imp = p50(r.samples.map((s) => s.importMs));
    const cpu = p50(r.samples.map((s) => s.cpuMs));
    const size = `${kb(b.bytes)} (gzip ${kb(b.gzip).trim()}) budget ${kb(b.budget).trim()} ${b.bytes <= b.budget ? 'ok  ' : 'OVER'}`;
    const outcomes = [...new Set(r.samples.map((s) => s.outcome))].join(' | ');
    console.log(
      `  ${r.id.padEnd(17)} ${size}   cold init p50 ${total.toFixed(1).padStart(6)} ms (import ${imp.toFixed(1)} ms, CPU ${cpu.toFixed(1)} ms) ${total <= COLD_BUDGET_MS ? 'ok  ' : 'OVER'}   first: ${r.first} → ${outcomes}`,
    );
  }
  console.log(`import only, p50 of ${COLD_RUNS} alternating processes each: SDK from the layer vs the same function with the SDK inlined (before the layer)`);
  for (const r of rows) {
    if (!r.layout) continue;
    const layer = p50(r.layout.layer.map((s) => s.importMs));
    const inlined = p50(r.layout.inlined.map((s) => s.importMs));
    console.log(`  ${r.id.padEnd(17)} layer ${layer.toFixed(1).padStart(6)} ms   inlined ${inlined.toFixed(1).padStart(6)} ms   layer ÷ inlined ${(layer / inlined).toFixed(2)}`);
  }
}

/** `BENCH_ONLY=cold`: only these rows, against a fresh harness. */
export async function coldOnly(start: () => Promise<FunctionsHarness>, accId: string): Promise<void> {
  const h = await start();
  try {
    printColdStarts(await coldStarts(h, accId));
  } finally {
    await h.stop();
  }
}
