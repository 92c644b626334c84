import type { Hit } from '../text/occurrence.js';

/**
 * Relevance of a category match, a score in [0, 1] that puts the clearest matches first
 * (docs/analytics.md#relevance):
 *
 *   relevance = count × confidence × tightness
 *
 * - count = 1 − 0.5^(n+1) for n distinct evidence hits: 0.5 for a match on absences alone,
 *   0.75 for one hit, 0.875 for two, 0.9375 for three, … — more occurrences, stronger match.
 * - confidence = the mean recognizer confidence of the evidence words (a hit whose words carry no
 *   confidence, e.g. a transcript without confidences or a measure, counts 1).
 * - tightness = the mean over the hits of proximity and ordering rules: a proximity match is
 *   1 − 0.5 × gap / withinWords (1 when adjacent, 0.5 at the limit); an ordering match is
 *   0.5 + 0.5 × 2^(−gapMs / 10 000) (1 when `after` follows `before` at once, 0.75 ten seconds
 *   later). Hits of other rules do not lower it; 1 when there are none.
 *
 * Rounded to 3 decimals. Pure.
 */
export const ORDER_HALF_LIFE_MS = 10_000;

export function orderTightness(gapMs: number): number {
  return 0.5 + 0.5 * 2 ** (-Math.max(0, gapMs) / ORDER_HALF_LIFE_MS);
}

export function matchRelevance(hits: readonly Pick<Hit, 'conf' | 'tightness'>[]): number {
  const count = 1 - 0.5 ** (hits.length + 1);
  const confidence = mean(hits.map((h) => h.conf ?? 1)) ?? 1;
  const tightness = mean(hits.flatMap((h) => (h.tightness === undefined ? [] : [h.tightness]))) ?? 1;
  return Math.round(count * confidence * tightness * 1000) / 1000;
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}
