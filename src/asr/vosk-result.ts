import type { AsrResult } from './types.js';
import type { StreamTimeline } from './stream-timeline.js';
import { AsrError } from './errors.js';

/**
 * libvosk's result JSON, checked field by field. Times are seconds on the recognizer's clock; they
 * become ms on the party's stream clock here. Checked by hand rather than with a schema library:
 * this runs for every partial and final of every party (tens per call-second), and a zod parse was
 * ~10 % of the main thread's busy time in the realistic-model profile.
 *
 * - `vosk_recognizer_result` / `final_result` with words on: `{"result": [...], "text": "..."}`; silence: `{"text": ""}`.
 * - `vosk_recognizer_partial_result`: `{"partial": "..."}`, plus `partial_result` words with partial words on.
 */

interface VoskWord {
  word: string;
  start: number;
  end: number;
  conf: number;
}

function invalid(what: string): never {
  throw new AsrError(`libvosk returned an unexpected result: ${what}`);
}

function object(json: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('not a JSON object');
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') invalid(`${field} is not a string`);
  return value;
}

function words(value: unknown, field: string): VoskWord[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(`${field} is not an array`);
  for (let i = 0; i < value.length; i++) {
    const w = value[i] as Partial<Record<keyof VoskWord, unknown>> | null;
    if (typeof w !== 'object' || w === null) invalid(`${field}[${i}] is not an object`);
    if (typeof w.word !== 'string') invalid(`${field}[${i}].word is not a string`);
    for (const key of ['start', 'end', 'conf'] as const) if (typeof w[key] !== 'number') invalid(`${field}[${i}].${key} is not a number`);
  }
  return value as VoskWord[];
}

function toWordTimings(list: readonly VoskWord[], timeline: StreamTimeline): AsrResult['words'] {
  return list.map((w) => ({
    word: w.word,
    startMs: Math.round(timeline.toStreamMs(w.start * 1000, 'start')),
    endMs: Math.round(timeline.toStreamMs(w.end * 1000, 'end')),
    conf: Math.min(1, Math.max(0, w.conf)),
  }));
}

export function parseFinal(json: string, timeline: StreamTimeline): AsrResult {
  const parsed = object(json);
  return { final: true, text: text(parsed.text, 'text'), words: toWordTimings(words(parsed.result, 'result'), timeline) };
}

export function parsePartial(json: string, timeline: StreamTimeline): AsrResult {
  const parsed = object(json);
  return { final: false, text: text(parsed.partial, 'partial'), words: toWordTimings(words(parsed.partial_result, 'partial_result'), timeline) };
}
