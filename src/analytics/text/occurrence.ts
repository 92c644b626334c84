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
}

export function spanHit(tokens: readonly Token[], span: Span, event: TranscriptEvent): Hit {
  return { party: event.party, utterance: event.utterance, text: spanText(tokens, span), ...spanTimes(tokens, span, event) };
}
