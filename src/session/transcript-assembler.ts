import type { AsrResult } from '../asr/types.js';
import { EVENT_SCHEMA_VERSION, type TranscriptEvent } from '../events/schema.js';

/**
 * Turns one party's recognizer results into TranscriptEvents: numbers utterances (partials share the
 * number of the final that ends them) and gives partials without word timings an approximate span
 * (from the previous final's end to the audio received so far).
 */
export class TranscriptAssembler {
  private utterance = 0;
  private lastFinalEndMs = 0;
  private lastPartialText = '';
  private partialShown = false;

  constructor(
    private readonly callId: string,
    private readonly party: string,
  ) {}

  /** `audioMs`: how much of this party's audio the engine has received, for partials' end time. */
  next(result: AsrResult, audioMs: number): TranscriptEvent | undefined {
    if (!result.final) {
      // Same text again says nothing new; an empty partial after a final is the recognizer resetting.
      if (result.text === this.lastPartialText || result.text === '') return undefined;
      this.lastPartialText = result.text;
      this.partialShown = true;
    }
    const first = result.words[0];
    const last = result.words[result.words.length - 1];
    const startMs = first ? first.startMs : this.lastFinalEndMs;
    const endMs = last ? last.endMs : Math.max(startMs, audioMs);
    const event: TranscriptEvent = {
      type: 'transcript',
      v: EVENT_SCHEMA_VERSION,
      callId: this.callId,
      party: this.party,
      final: result.final,
      text: result.text,
      words: result.words,
      startMs,
      endMs,
      utterance: this.utterance,
    };
    if (result.final) {
      this.lastPartialText = '';
      // A silence-only utterance says nothing, unless partials were shown that it now takes back.
      if (result.text === '' && !this.partialShown) return undefined;
      this.partialShown = false;
      this.utterance++;
      this.lastFinalEndMs = endMs;
    }
    return event;
  }
}
