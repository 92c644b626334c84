import { EVENT_SCHEMA_VERSION, type TranscriptEvent, type WordTiming } from '../events/schema.js';
import { CallInputError } from './errors.js';

/**
 * One utterance of a text call, as clients send it (field names are a public contract:
 * `{type:"utterance", party, text, startMs, endMs, final, words?}`).
 */
export interface Utterance {
  party: string;
  text: string;
  startMs: number;
  endMs: number;
  /** false: a partial hypothesis of the utterance in progress; true (default): the utterance is complete. */
  final: boolean;
  words?: WordTiming[];
}

export interface TextInputLimits {
  maxUtteranceChars: number;
  maxUtteranceWords: number;
  maxUtterancesPerCall: number;
  /** No time may lie beyond the call's maximum duration. */
  maxCallDurationMs: number;
}

interface PartyText {
  /** Sequence number the next final takes (its partials share it). */
  utterance: number;
  /** Start of the party's last final utterance: later ones may not start before it. */
  lastFinalStartMs: number;
}

/**
 * Turns a text call's utterances into TranscriptEvents, the same events the recognizers produce,
 * after checking them: known party, text within limits and well-formed Unicode, finite times that
 * do not go backwards, words inside their utterance. Every fault is a CallInputError. Pure.
 */
export class TextTranscriber {
  private readonly parties = new Map<string, PartyText>();
  private count = 0;
  private furthestMs = 0;

  constructor(
    private readonly callId: string,
    parties: readonly string[],
    private readonly limits: TextInputLimits,
  ) {
    for (const party of parties) this.parties.set(party, { utterance: 0, lastFinalStartMs: 0 });
  }

  /** The end of the latest utterance received: the text call's length so far. */
  get endMs(): number {
    return this.furthestMs;
  }

  /** The client states the call's length (its stop's durationMs): at least the last utterance's end. */
  declareEnd(durationMs: number): void {
    this.checkSpan('durationMs', 0, durationMs);
    if (durationMs < this.furthestMs)
      throw new CallInputError('bad_timing', `durationMs ${durationMs} is before the end of the last utterance (${this.furthestMs} ms)`);
    this.furthestMs = durationMs;
  }

  next(u: Utterance): TranscriptEvent {
    const state = this.parties.get(u.party);
    if (!state)
      throw new CallInputError('unknown_party', `unknown party ${JSON.stringify(u.party.slice(0, 64))}; this call's parties are ${[...this.parties.keys()].join(', ')}`);
    if (++this.count > this.limits.maxUtterancesPerCall)
      throw new CallInputError('text_too_large', `more than ${this.limits.maxUtterancesPerCall} utterances in one call (limits.maxUtterancesPerCall)`);
    if (u.text.length > this.limits.maxUtteranceChars)
      throw new CallInputError('text_too_large', `utterance text of ${u.text.length} characters; at most ${this.limits.maxUtteranceChars} (limits.maxUtteranceChars)`);
    if (!wellFormed(u.text)) throw new CallInputError('bad_utf8', 'utterance text is not valid Unicode (lone surrogate)');
    this.checkSpan('utterance', u.startMs, u.endMs);
    if (u.startMs < state.lastFinalStartMs)
      throw new CallInputError('bad_timing', `${u.party}'s utterance starts at ${u.startMs} ms, before their previous one (${state.lastFinalStartMs} ms): times must not go backwards`);
    const words = this.checkWords(u);
    const event: TranscriptEvent = {
      type: 'transcript',
      v: EVENT_SCHEMA_VERSION,
      callId: this.callId,
      party: u.party,
      final: u.final,
      text: u.text,
      words,
      startMs: u.startMs,
      endMs: u.endMs,
      utterance: state.utterance,
    };
    if (u.final) {
      state.utterance++;
      state.lastFinalStartMs = u.startMs;
      this.furthestMs = Math.max(this.furthestMs, u.endMs);
    }
    return event;
  }

  private checkSpan(what: string, startMs: number, endMs: number): void {
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || startMs < 0)
      throw new CallInputError('bad_timing', `${what} times must be finite and not negative (got ${startMs}..${endMs})`);
    if (endMs < startMs) throw new CallInputError('bad_timing', `${what} ends (${endMs} ms) before it starts (${startMs} ms)`);
    if (endMs > this.limits.maxCallDurationMs)
      throw new CallInputError('bad_timing', `${what} ends at ${endMs} ms, beyond the longest call (${this.limits.maxCallDurationMs} ms, limits.maxCallDurationMs)`);
  }

  private checkWords(u: Utterance): WordTiming[] {
    const words = u.words ?? [];
    if (words.length > this.limits.maxUtteranceWords)
      throw new CallInputError('text_too_large', `${words.length} words in one utterance; at most ${this.limits.maxUtteranceWords} (limits.maxUtteranceWords)`);
    let previousStart = u.startMs;
    let chars = 0;
    for (const [i, w] of words.entries()) {
      chars += w.word.length;
      if (chars > this.limits.maxUtteranceChars)
        throw new CallInputError('text_too_large', `the words of one utterance exceed ${this.limits.maxUtteranceChars} characters (limits.maxUtteranceChars)`);
      if (!wellFormed(w.word)) throw new CallInputError('bad_utf8', `words[${i}] is not valid Unicode (lone surrogate)`);
      this.checkSpan(`words[${i}]`, w.startMs, w.endMs);
      if (w.startMs < previousStart || w.endMs > u.endMs)
        throw new CallInputError('bad_timing', `words[${i}] (${w.startMs}..${w.endMs} ms) lies outside its utterance (${u.startMs}..${u.endMs} ms) or before the previous word`);
      if (!(w.conf >= 0 && w.conf <= 1)) throw new CallInputError('bad_message', `words[${i}].conf must be 0..1 (got ${w.conf})`);
      previousStart = w.startMs;
    }
    return words.map(({ word, startMs, endMs, conf }) => ({ word, startMs, endMs, conf }));
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No lone surrogate: the string can be encoded as UTF-8 (String.prototype.isWellFormed, ES2024). */
function wellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
