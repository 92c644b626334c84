/** Order statistics the benchmarks report. */

/** Median of `values` (mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Student's t, 97.5 % quantile, by degrees of freedom (a missing df takes the next lower one: wider). */
const T_975: Array<[df: number, t: number]> = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [6, 2.447],
  [7, 2.365],
  [8, 2.306],
  [9, 2.262],
  [10, 2.228],
  [12, 2.179],
  [15, 2.131],
  [20, 2.086],
  [30, 2.042],
  [60, 2.0],
  [120, 1.98],
];

/**
 * Mean of `values` and the 95 % confidence interval of that mean (Student's t on the sample's
 * standard deviation): how far a run's rounds pin down the ratio they measure. One value: no interval.
 */
export function meanInterval(values: number[]): { mean: number; low: number; high: number } {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, v) => a + v, 0) / n : 0;
  if (n < 2) return { mean, low: mean, high: mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const t = T_975.filter(([df]) => df <= n - 1).at(-1)![1];
  const half = (t * Math.sqrt(variance)) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}

/** The `q` quantile of already sorted values (nearest rank, 0 when empty). */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** How far a run had got: at `atMs` (any one clock), `done` units in all; `done` never falls. */
export type Progress = Array<[atMs: number, done: number]>;

/** One progress line for several threads, each with its own cumulative line on the same clock. */
export function mergeProgress(lines: Progress[]): Progress {
  const steps: Progress = [];
  for (const line of lines) line.forEach(([at, done], i) => steps.push([at, done - (i > 0 ? line[i - 1]![1] : 0)]));
  steps.sort((a, b) => a[0] - b[0]);
  let done = 0;
  return steps.map(([at, step]) => [at, (done += step)]);
}

/** When `level` units were done, interpolated between the samples around it (undefined if never). */
function timeAt(progress: Progress, level: number): number | undefined {
  const i = progress.findIndex(([, done]) => done >= level);
  if (i < 0) return undefined;
  if (i === 0) return progress[0]![0];
  const [t0, d0] = progress[i - 1]!;
  const [t1, d1] = progress[i]!;
  return d1 === d0 ? t1 : t0 + ((level - d0) / (d1 - d0)) * (t1 - t0);
}

/**
 * Units per second while the run was in full swing: between the moments `from` and `to` of its
 * total were done. Ramp-up (connecting, first messages, cold code) and the tail (the last streams
 * finishing on one thread, the calls' endings) fall outside, as they do for a service under
 * continuous load.
 */
export function steadyRate(progress: Progress, from = 0.1, to = 0.9): number {
  const total = progress.at(-1)?.[1] ?? 0;
  const start = timeAt(progress, from * total);
  const end = timeAt(progress, to * total);
  if (start === undefined || end === undefined || end <= start) return 0;
  return ((to - from) * total) / ((end - start) / 1000);
}
