import { z } from 'zod';
import type { TranscriptEvent } from '../../events/schema.js';

/**
 * vosk-server's WebSocket protocol (alphacep/vosk-server, websocket/asr_server.py): optional
 * `{"config": {...}}` text messages, binary PCM16 LE mono audio, `{"eof" : 1}` to finish. The server
 * answers every audio message with one JSON text message, a partial or a result, once that audio is
 * decoded; `{"reset": 1}` is answered with the final result so far and the stream carries on; the
 * answer to eof is the final result, then the server closes. Times in results are SECONDS (vosk's unit), not ms.
 */

export const configMessageSchema = z.object({
  config: z.looseObject({
    sample_rate: z.number().positive().optional(),
    /** vosk-server reads it as bool(words): 0/1 or false/true. */
    words: z.union([z.boolean(), z.number()]).optional(),
    max_alternatives: z.number().int().min(0).optional(),
    phrase_list: z.array(z.string()).optional(),
  }),
});

export const eofMessageSchema = z.object({ eof: z.union([z.literal(1), z.literal(true)]) });

export type ConfigMessage = z.infer<typeof configMessageSchema>;

export const resetMessageSchema = z.object({ reset: z.union([z.literal(1), z.literal(true)]) });

/** Reply shapes, exactly as libvosk's recognizer prints them. */
const voskWordSchema = z.object({
  conf: z.number(),
  end: z.number().describe('Seconds from the start of the stream'),
  start: z.number().describe('Seconds from the start of the stream'),
  word: z.string(),
});
export type VoskWord = z.infer<typeof voskWordSchema>;

export const voskReplySchema = z.union([
  z.object({ partial: z.string() }),
  z.object({ result: z.array(voskWordSchema).optional(), text: z.string() }),
  z.object({
    alternatives: z.array(
      z.object({ confidence: z.number(), result: z.array(voskWordSchema.omit({ conf: true })).optional(), text: z.string() }),
    ),
  }),
]);
export type VoskReply = z.infer<typeof voskReplySchema>;

export interface ReplyOptions {
  words: boolean;
  maxAlternatives: number;
}

/** One or more final utterances (merged when several arrived since the last reply) as a vosk result. */
export function resultReply(finals: readonly TranscriptEvent[], options: ReplyOptions): VoskReply {
  const text = finals.map((f) => f.text).filter(Boolean).join(' ');
  const words: VoskWord[] = finals.flatMap((f) =>
    f.words.map((w) => ({ conf: round(w.conf, 6), end: round(w.endMs / 1000, 3), start: round(w.startMs / 1000, 3), word: w.word })),
  );
  if (options.maxAlternatives > 0) {
    // We have one hypothesis; vosk's n-best format with a single entry keeps such clients working.
    const confidence = words.length > 0 ? round(words.reduce((s, w) => s + w.conf, 0) / words.length, 6) : 0;
    const result = words.map(({ end, start, word }) => ({ end, start, word }));
    return { alternatives: [{ confidence, ...(options.words ? { result } : {}), text }] };
  }
  return options.words && words.length > 0 ? { result: words, text } : { text };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
