import { z } from 'zod';
import type { AsrResult } from './types.js';
import type { StreamTimeline } from './stream-timeline.js';

/**
 * libvosk's result JSON, validated (one schema per shape). Times are seconds on the recognizer's
 * clock; they become ms on the party's stream clock here.
 */

const voskWordSchema = z.object({
  word: z.string(),
  start: z.number(),
  end: z.number(),
  conf: z.number(),
});

/** `vosk_recognizer_result` / `final_result` with words on: `{"result": [...], "text": "..."}`; silence: `{"text": ""}`. */
const voskFinalSchema = z.object({
  text: z.string().default(''),
  result: z.array(voskWordSchema).default([]),
});

/** `vosk_recognizer_partial_result`: `{"partial": "..."}`, plus `partial_result` words with partial words on. */
const voskPartialSchema = z.object({
  partial: z.string().default(''),
  partial_result: z.array(voskWordSchema).default([]),
});

type VoskWord = z.infer<typeof voskWordSchema>;

function toWordTimings(words: readonly VoskWord[], timeline: StreamTimeline): AsrResult['words'] {
  return words.map((w) => ({
    word: w.word,
    startMs: Math.round(timeline.toStreamMs(w.start * 1000, 'start')),
    endMs: Math.round(timeline.toStreamMs(w.end * 1000, 'end')),
    conf: Math.min(1, Math.max(0, w.conf)),
  }));
}

export function parseFinal(json: string, timeline: StreamTimeline): AsrResult {
  const parsed = voskFinalSchema.parse(JSON.parse(json));
  return { final: true, text: parsed.text, words: toWordTimings(parsed.result, timeline) };
}

export function parsePartial(json: string, timeline: StreamTimeline): AsrResult {
  const parsed = voskPartialSchema.parse(JSON.parse(json));
  return { final: false, text: parsed.partial, words: toWordTimings(parsed.partial_result, timeline) };
}
