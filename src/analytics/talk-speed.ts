/**
 * Talk speed (words per minute) per party from final transcripts. Speaking time is the span of the
 * words, without pauses between words longer than `maxPauseMs`, so a slow, hesitant speaker is not
 * confused with a speaker who pauses between sentences.
 */
import type { TranscriptEvent } from '../events/schema.js';
import type { TalkSpeedOptions } from './measures-options.js';
import type { MeasureEvent } from './types.js';

export interface PartyTalkSpeed {
  words: number;
  /** Speaking time, ms. */
  speakingMs: number;
  /** null when the party said nothing timed. */
  wordsPerMinute: number | null;
}

function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
}

export class TalkSpeedTracker {
  private readonly parties = new Map<string, { words: number; speakingMs: number }>();

  constructor(private readonly options: TalkSpeedOptions) {}

  /** A transcript event; returns the utterance's talk-speed measure, if it has one. */
  add(event: TranscriptEvent): MeasureEvent | null {
    if (!event.final) return null;
    let words: number;
    let speakingMs: number;
    if (event.words.length > 0) {
      words = event.words.length;
      speakingMs = 0;
      for (let i = 0; i < event.words.length; i++) {
        const w = event.words[i]!;
        speakingMs += Math.max(0, w.endMs - w.startMs);
        const next = event.words[i + 1];
        if (next !== undefined) {
          const pause = next.startMs - w.endMs;
          if (pause > 0 && pause <= this.options.maxPauseMs) speakingMs += pause;
        }
      }
    } else {
      // No word timings (some recognizers): the utterance span is the speaking time.
      words = countWords(event.text);
      speakingMs = Math.max(0, event.endMs - event.startMs);
    }
    if (words === 0 || speakingMs <= 0) return null;
    const total = this.parties.get(event.party) ?? { words: 0, speakingMs: 0 };
    total.words += words;
    total.speakingMs += speakingMs;
    this.parties.set(event.party, total);
    if (words < this.options.minWords) return null;
    return {
      measure: 'talk_speed',
      party: event.party,
      startMs: event.startMs,
      endMs: event.endMs,
      value: Math.round((words * 60_000) / speakingMs),
    };
  }

  summary(): Record<string, PartyTalkSpeed> {
    const out: Record<string, PartyTalkSpeed> = {};
    for (const [party, t] of this.parties) {
      out[party] = {
        words: t.words,
        speakingMs: Math.round(t.speakingMs),
        wordsPerMinute: t.speakingMs > 0 ? Math.round((t.words * 60_000) / t.speakingMs) : null,
      };
    }
    return out;
  }
}
