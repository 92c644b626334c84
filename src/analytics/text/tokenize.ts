import type { TranscriptEvent } from '../../events/schema.js';
import { normalizeWord } from './normalize.js';

/** One normalized word of an utterance, with its audio times when the recognizer gave them. */
export interface Token {
  text: string;
  startMs?: number;
  endMs?: number;
  /** The recognizer's confidence in the word (0..1), when it gave one. */
  conf?: number;
}

/**
 * The words of a transcript as tokens. Word timings are used when present (finals always, partials
 * sometimes); otherwise the text is split on white space and the tokens carry no times.
 * Tokens that are only punctuation are dropped.
 */
export function tokenizeTranscript(event: Pick<TranscriptEvent, 'text' | 'words'>): Token[] {
  if (event.words.length > 0) {
    const tokens: Token[] = [];
    for (const w of event.words) {
      // A recognizer "word" may hold several (e.g. "4111-1111" or "new york" in some models).
      for (const part of w.word.split(/\s+/)) {
        const text = normalizeWord(part);
        if (text) tokens.push({ text, startMs: w.startMs, endMs: w.endMs, conf: w.conf });
      }
    }
    return tokens;
  }
  return tokenizeText(event.text);
}

export function tokenizeText(text: string): Token[] {
  const tokens: Token[] = [];
  for (const part of text.split(/\s+/)) {
    const normalized = normalizeWord(part);
    if (normalized) tokens.push({ text: normalized });
  }
  return tokens;
}

/** True when every token has audio times (so a match can be placed on the timeline). */
export function tokensTimed(tokens: readonly Token[]): boolean {
  return tokens.every((t) => t.startMs !== undefined && t.endMs !== undefined);
}
