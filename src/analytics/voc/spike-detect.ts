import type { SpikeOptions } from './options.js';

/**
 * Spike detection over bucket counts: pure functions, no I/O and no clock (docs/voc.md "Spikes").
 *
 * A series (`driver:<id>`, `department:<id>`, `category:<name>`) is compared by its SHARE of the call
 * volume: the expected count in the window is the baseline's share times the window's calls, so a
 * busy morning is not a spike of every driver, and a flood of one question is. The baseline is the
 * same hour of day on previous days once `seasonMinDays` of them have calls (seasonality), otherwise
 * the `baselineBuckets` just before the window. The window spikes when the Poisson upper tail
 * P(X >= observed | expected) <= alpha, observed >= minCount and observed >= minRatio x expected.
 */

/** Counts by field: `calls` (volume) and one per series. */
export type Counts = Readonly<Record<string, number>>;

export const VOLUME_FIELD = 'calls';
/** Series kinds spikes are detected for (dimension values are counted but not watched). */
export const SPIKE_KINDS = ['driver', 'department', 'category'] as const;
export type SpikeKind = (typeof SPIKE_KINDS)[number];

export function seriesKind(field: string): SpikeKind | undefined {
  const kind = field.slice(0, field.indexOf(':'));
  return (SPIKE_KINDS as readonly string[]).includes(kind) ? (kind as SpikeKind) : undefined;
}

/** Adds counts together (bucket tables into one window or baseline). */
export function sumCounts(tables: Iterable<Counts>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tables) for (const [k, n] of Object.entries(t)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export interface Baseline {
  counts: Counts;
  kind: 'seasonal' | 'trailing';
}

/**
 * The history to compare with: `seasonal` holds, per previous day, the counts of the same hour(s) of
 * day; `trailing` the buckets just before the window. Undefined when neither has enough calls.
 */
export function chooseBaseline(seasonal: readonly Counts[], trailing: Counts, options: Pick<SpikeOptions, 'seasonMinDays' | 'minBaselineCalls'>): Baseline | undefined {
  const days = seasonal.filter((d) => (d[VOLUME_FIELD] ?? 0) > 0);
  if (days.length >= options.seasonMinDays) {
    const counts = sumCounts(days);
    if ((counts[VOLUME_FIELD] ?? 0) >= options.minBaselineCalls) return { counts, kind: 'seasonal' };
  }
  if ((trailing[VOLUME_FIELD] ?? 0) >= options.minBaselineCalls) return { counts: trailing, kind: 'trailing' };
  return undefined;
}

export interface Assessment {
  series: string;
  observed: number;
  expected: number;
  volume: number;
  expectedRate: number;
  pValue: number;
  /** Meets significance, minimum count and minimum ratio. */
  spiking: boolean;
  /** Back near the expected rate (counts towards ending an episode). */
  calm: boolean;
}

/** One series in one window against its baseline. */
export function assessSeries(series: string, window: Counts, baseline: Counts, options: Pick<SpikeOptions, 'alpha' | 'minCount' | 'minRatio' | 'endRatio'>): Assessment {
  const observed = window[series] ?? 0;
  const volume = window[VOLUME_FIELD] ?? 0;
  // Smoothed share: a series never seen before has a small, non-zero expected rate.
  const expectedRate = ((baseline[series] ?? 0) + 0.5) / ((baseline[VOLUME_FIELD] ?? 0) + 1);
  const expected = expectedRate * volume;
  const pValue = poissonUpperTail(observed, expected);
  const spiking = observed >= options.minCount && observed >= options.minRatio * expected && pValue <= options.alpha;
  return { series, observed, expected, volume, expectedRate, pValue, spiking, calm: observed <= options.endRatio * expected };
}

/** The series worth assessing: every watched field seen in the window or baseline, and those with an open episode. */
export function seriesToAssess(window: Counts, baseline: Counts, open: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const field of [...Object.keys(window), ...Object.keys(baseline), ...open]) if (seriesKind(field)) out.add(field);
  return [...out].sort();
}

/** An active spike episode, persisted so a restart resumes it instead of raising it again. */
export interface Episode {
  id: string;
  series: string;
  raisedAtMs: number;
  /** Consecutive calm evaluations. */
  calm: number;
  peakObserved: number;
}

export interface EpisodeStep {
  /** New episodes: raise a spike for each. */
  raised: Array<{ episode: Episode; assessment: Assessment }>;
  /** Episodes that ended: send an end-of-spike event for each. */
  ended: Episode[];
  /** Episodes still active after this step (changed ones included). */
  active: Map<string, Episode>;
}

/**
 * One evaluation: raises an episode for a spiking series that has none (one alert per episode), ends
 * an episode after `endAfterBuckets` calm evaluations in a row. Series without an assessment (no
 * baseline yet) keep their state.
 */
export function stepEpisodes(
  active: ReadonlyMap<string, Episode>,
  assessments: readonly Assessment[],
  nowMs: number,
  options: Pick<SpikeOptions, 'endAfterBuckets'>,
  newId: (series: string) => string,
): EpisodeStep {
  const next = new Map(active);
  const raised: EpisodeStep['raised'] = [];
  const ended: Episode[] = [];
  for (const a of assessments) {
    const open = next.get(a.series);
    if (!open) {
      if (!a.spiking) continue;
      const episode: Episode = { id: newId(a.series), series: a.series, raisedAtMs: nowMs, calm: 0, peakObserved: a.observed };
      next.set(a.series, episode);
      raised.push({ episode, assessment: a });
      continue;
    }
    const calm = a.calm ? open.calm + 1 : 0;
    const updated: Episode = { ...open, calm, peakObserved: Math.max(open.peakObserved, a.observed) };
    if (calm >= options.endAfterBuckets) {
      next.delete(a.series);
      ended.push(updated);
    } else {
      next.set(a.series, updated);
    }
  }
  return { raised, ended, active: next };
}

// ---- Poisson tail ----

/** ln Γ(x) for x > 0 (Lanczos, g = 7; ~15 significant digits). */
function logGamma(x: number): number {
  const c = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * P(X >= k) for X ~ Poisson(lambda). Summed from the tail's first term upward when k is above the
 * mean (so tiny p-values keep their precision), otherwise as 1 - P(X < k).
 */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (!(lambda > 0)) return 0;
  const logTerm = (i: number) => -lambda + i * Math.log(lambda) - logGamma(i + 1);
  if (k > lambda) {
    let term = Math.exp(logTerm(k));
    let sum = term;
    for (let i = k + 1; i < k + 100_000; i++) {
      term *= lambda / i;
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return Math.min(1, sum);
  }
  let below = 0;
  let term = Math.exp(-lambda);
  for (let i = 0; i < k; i++) {
    below += term;
    term *= lambda / (i + 1);
  }
  return Math.max(0, Math.min(1, 1 - below));
}
