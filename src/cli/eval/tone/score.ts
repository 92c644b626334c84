import type { CallOrder, CallSegment, LineFormat } from './calls.js';

/**
 * Scoring of `voc eval tone`, per file: a file is flagged when a raised-tone alert overlaps it,
 * counting up to `graceMs` (1.5 s) after its end (an alert is raised a little after the speech that
 * caused it). An alert covers [startMs, endMs]: from the start of the raised speech to the moment
 * the alert was raised. Latency of a flagged raised file: from the start of its speech to the first
 * alert raised at or after that start which overlaps the file.
 */

export const GRACE_MS = 1500;

export interface AlertSpan {
  startMs: number;
  endMs: number;
}

export interface FileOutcome {
  file: string;
  speaker: string;
  emotion: string;
  label: 'raised' | 'calm';
  flagged: boolean;
  /** For a flagged raised file: ms from its speech start to the alert; null otherwise. */
  latencyMs: number | null;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface Metrics extends Counts {
  precision: number;
  recall: number;
  f1: number;
}

export function scoreCall(segments: readonly CallSegment[], alerts: readonly AlertSpan[], graceMs = GRACE_MS): FileOutcome[] {
  return segments.map((segment) => {
    const until = segment.endMs + graceMs;
    const overlapping = alerts.filter((a) => a.startMs <= until && a.endMs >= segment.startMs);
    const timely = overlapping.filter((a) => a.endMs >= segment.speechStartMs).map((a) => a.endMs);
    const flagged = overlapping.length > 0;
    const { file } = segment;
    return {
      file: file.name,
      speaker: file.speaker,
      emotion: file.emotion,
      label: file.label,
      flagged,
      latencyMs: flagged && file.label === 'raised' && timely.length > 0 ? Math.min(...timely) - segment.speechStartMs : null,
    };
  });
}

export function countOutcomes(outcomes: readonly FileOutcome[]): Counts {
  const c: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const o of outcomes) {
    if (o.label === 'raised') o.flagged ? c.tp++ : c.fn++;
    else o.flagged ? c.fp++ : c.tn++;
  }
  return c;
}

/** Precision, recall and F1 (0 when undefined, e.g. nothing flagged). */
export function metricsOf(c: Counts): Metrics {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { ...c, precision, recall, f1 };
}

export interface LatencyStats {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export function latencyStats(outcomes: readonly FileOutcome[]): LatencyStats {
  const values = outcomes.flatMap((o) => (o.latencyMs === null ? [] : [o.latencyMs])).sort((a, b) => a - b);
  if (values.length === 0) return { count: 0, medianMs: null, p90Ms: null };
  const at = (q: number): number => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
  const mid = values.length >> 1;
  return { count: values.length, medianMs: values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2, p90Ms: at(0.9) };
}

export interface RunResult {
  order: CallOrder;
  format: LineFormat;
  overall: Metrics;
  latency: LatencyStats;
  /** Calm-labelled files flagged, by emotion (e.g. { neutral: 0, calm: 1 }). */
  falseAlertsByEmotion: Record<string, number>;
  speakers: Array<{ speaker: string } & Metrics>;
}

/** Metrics of one order and format over the outcomes of all its calls. */
export function summarizeRun(order: CallOrder, format: LineFormat, outcomes: readonly FileOutcome[]): RunResult {
  const speakers = [...new Set(outcomes.map((o) => o.speaker))].sort();
  const falseAlertsByEmotion: Record<string, number> = {};
  for (const o of outcomes) if (o.label === 'calm') falseAlertsByEmotion[o.emotion] = (falseAlertsByEmotion[o.emotion] ?? 0) + (o.flagged ? 1 : 0);
  return {
    order,
    format,
    overall: metricsOf(countOutcomes(outcomes)),
    latency: latencyStats(outcomes),
    falseAlertsByEmotion,
    speakers: speakers.map((speaker) => ({ speaker, ...metricsOf(countOutcomes(outcomes.filter((o) => o.speaker === speaker))) })),
  };
}
