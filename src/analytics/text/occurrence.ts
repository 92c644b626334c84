import type { TranscriptEvent } from '../../events/schema.js';
import type { Span } from './match.js';
import { spanText } from './match.js';
import type { Token } from './tokenize.js';

/** Where a span of an utterance was said: the matched words' audio times. */
export function spanTimes(tokens: readonly Token[], span: Span, event: Pick<TranscriptEvent, 'startMs' | 'endMs'>): { startMs: number; endMs: number } {
  const first = tokens[span.start];
  const last = tokens[span.end - 1];
  return {
    startMs: first?.startMs ?? event.startMs,
    endMs: last?.endMs ?? event.endMs,
  };
}

/** A matched stretch of speech, used as evidence. */
export interface Hit {
  party: string;
  utterance: number;
  text: string;
  startMs: number;
  endMs: number;
  /** Mean recognizer confidence of the matched words (absent when the words carry none). */
  conf?: number;
  /** How close the pieces of a proximity or ordering match were, 0.5..1 (absent for other matches). */
  tightness?: number;
}

export function spanHit(tokens: readonly Token[], span: Span, event: TranscriptEvent): Hit {
  const confs = tokens.slice(span.start, span.end).flatMap((t) => (t.conf === undefined ? [] : [t.conf]));
  return {
    party: event.party,
    utterance: event.utterance,
    text: spanText(tokens, span),
    ...spanTimes(tokens, span, event),
    ...(confs.length > 0 ? { conf: confs.reduce((a, b) => a + b, 0) / confs.length } : {}),
    ...(span.tightness !== undefined ? { tightness: span.tightness } : {}),
  };
}
