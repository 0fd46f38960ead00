/**
 * The CPU / memory pairs Fargate accepts for a Linux task, as AWS documents them for the task definition's
 * `cpu` and `memory` ("Task CPU and memory" in the ECS developer guide; the 8 and 16 vCPU sizes need platform
 * version 1.4.0, which LATEST is). An invalid pair synthesizes fine and only fails when ECS registers the task
 * definition in the middle of a deploy, so the configuration is checked against this table at synth time.
 *
 * Plain data, no aws-cdk-lib: `loadConfig` (also used by the local stack) imports it.
 */

export interface FargateMemoryRange {
  /** Task CPU units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** Memory values allowed with that CPU, in MiB: from `min` to `max` in steps of `step`, or exactly `values`. */
  readonly values?: readonly number[];
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
}

export const FARGATE_SIZES: readonly FargateMemoryRange[] = [
  { cpu: 256, values: [512, 1024, 2048] },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

export const FARGATE_CPUS: readonly number[] = FARGATE_SIZES.map((s) => s.cpu);

/** The memory sizes (MiB) Fargate allows with `cpu`, or [] for a CPU value Fargate does not have. */
export function fargateMemoryChoices(cpu: number): number[] {
  const size = FARGATE_SIZES.find((s) => s.cpu === cpu);
  if (size === undefined) return [];
  if (size.values !== undefined) return [...size.values];
  const out: number[] = [];
  for (let m = size.min!; m <= size.max!; m += size.step!) out.push(m);
  return out;
}

function describe(cpu: number): string {
  const size = FARGATE_SIZES.find((s) => s.cpu === cpu)!;
  if (size.values !== undefined) return size.values.join(', ');
  return `${size.min} to ${size.max} in steps of ${size.step}`;
}

/**
 * Why `cpu` / `memoryMiB` is not a Fargate task size, naming what is allowed instead; undefined when it is one.
 */
export function fargateSizeProblem(cpu: number, memoryMiB: number): string | undefined {
  if (!FARGATE_CPUS.includes(cpu)) {
    return `gatewayCpu ${cpu} is not a Fargate CPU size; use one of ${FARGATE_CPUS.join(', ')} (1024 = 1 vCPU)`;
  }
  if (fargateMemoryChoices(cpu).includes(memoryMiB)) return undefined;
  const fits = FARGATE_SIZES.filter((s) => fargateMemoryChoices(s.cpu).includes(memoryMiB)).map((s) => s.cpu);
  return (
    `gatewayMemoryMiB ${memoryMiB} does not go with gatewayCpu ${cpu} on Fargate: with ${cpu} CPU units the memory ` +
    `must be ${describe(cpu)} MiB` +
    (fits.length > 0 ? `; ${memoryMiB} MiB fits gatewayCpu ${fits.join(' or ')}` : '')
  );
}
