import type { TranscriptEvent, WordTiming } from '../events/schema.js';
import type { RedactionOptions } from './options.js';
import { normalizeWord } from './text/normalize.js';

/**
 * Masks long numbers — card, account and phone numbers, national IDs — in transcripts before they
 * leave the process. A number is a run of consecutive "digit words": digit strings ("4111",
 * "4111-1111"), English number words ("four", "oh", "eleven", "forty", "double five") and CJK numerals
 * ("四一一"). A run totalling at least `minDigits` digits (default 6) is masked word by word: each word
 * of the run becomes `mask` (default "[redacted]") in both `text` and `words`, and word timings are
 * kept, so the transcript still lines up with the audio. Digit counts are approximate and err towards
 * masking ("twenty one" counts 2, "four hundred" 3); "thousand"/"million" end a run, so spoken amounts
 * ("two thousand five hundred") stay readable.
 *
 * Nothing leaves before it is known to be safe: a partial shows no digit words at all (its number may
 * still grow), and a final utterance that ends in a number too short to mask is held back until that
 * number is known to be complete (see TranscriptRedactor), so a card read in groups across pauses is
 * masked as one number.
 */

const UNIT = new Set(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
const WEAK_UNIT = new Set(['oh', 'o']); // "oh" is a digit only next to other digits
const TEEN = new Set(['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen']);
const TENS = new Set(['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety']);
const REPEAT: Record<string, number> = { double: 2, triple: 3 };
const CJK_DIGITS = /^[零〇一二三四五六七八九幺两]+$/u;

interface DigitWord {
  digits: number;
  /** Counts towards a run only together with a strong digit word. */
  weak: boolean;
}

function classify(word: string, previous: string | undefined): DigitWord | undefined {
  const w = normalizeWord(word);
  if (w === '') return undefined;
  if (/^[\d.,/-]*\d[\d.,/-]*$/.test(w)) return { digits: w.replace(/\D/g, '').length, weak: false };
  if (CJK_DIGITS.test(w)) return { digits: w.length, weak: false };
  if (UNIT.has(w)) {
    if (previous !== undefined && TENS.has(previous)) return { digits: 0, weak: false }; // "forty one": 2 digits in all
    const repeat = previous !== undefined ? REPEAT[previous] : undefined;
    return { digits: repeat ?? 1, weak: false }; // "double five": 2
  }
  if (WEAK_UNIT.has(w)) return { digits: 1, weak: true };
  if (TEEN.has(w) || TENS.has(w)) return { digits: 2, weak: false };
  if (w === 'hundred') return { digits: 2, weak: false };
  if (w in REPEAT) return { digits: 0, weak: true };
  return undefined;
}

interface Run {
  /** Index of its first word. */
  start: number;
  /** Index after its last word. */
  end: number;
  /** Digits, including those carried into a run at index 0. */
  digits: number;
  strong: boolean;
}

interface Scan {
  masked: boolean[];
  /** The run that starts at the first word (it continues any carried digits). */
  first: Run | undefined;
  /** The run that reaches the last word. */
  last: Run | undefined;
}

/**
 * Finds the runs to mask. `carryDigits` are digits said at the end of the previous utterance that
 * continue into a run at the very start of this one. In a partial every run with a non-weak digit
 * word is masked: whatever number it is part of, it is not complete yet.
 */
function scan(words: readonly string[], options: RedactionOptions, partial: boolean, carryDigits: number): Scan {
  const masked = words.map(() => false);
  const result: Scan = { masked, first: undefined, last: undefined };
  let i = 0;
  while (i < words.length) {
    let previous: string | undefined = i > 0 ? normalizeWord(words[i - 1]!) : undefined;
    const first = classify(words[i]!, previous);
    if (!first) {
      i++;
      continue;
    }
    let j = i;
    let digits = i === 0 ? carryDigits : 0;
    let strong = i === 0 && carryDigits > 0;
    for (let d: DigitWord | undefined = first; d !== undefined; ) {
      digits += d.digits;
      strong ||= !d.weak;
      previous = normalizeWord(words[j]!);
      j++;
      d = j < words.length ? classify(words[j]!, previous) : undefined;
    }
    const run: Run = { start: i, end: j, digits, strong };
    if (strong && (partial || digits >= options.minDigits)) for (let k = i; k < j; k++) masked[k] = true;
    if (i === 0) result.first = run;
    if (j === words.length) result.last = run;
    i = j;
  }
  return result;
}

/** Splits text into words (even indices) and the white space between them (kept). */
function textWords(text: string): { parts: string[]; wordIndexes: number[] } {
  const parts = text.split(/(\s+)/);
  const wordIndexes = parts.map((p, i) => (i % 2 === 0 && p !== '' ? i : -1)).filter((i) => i >= 0);
  return { parts, wordIndexes };
}

/** Masks `text` and `words` where `maskedWord(words, i)` says so; the event itself when nothing changes. */
function applyMask(event: TranscriptEvent, options: RedactionOptions, masks: (words: readonly string[]) => boolean[]): TranscriptEvent {
  const wordMask = masks(event.words.map((w) => w.word));
  const words: WordTiming[] = event.words.map((w, i) => (wordMask[i] ? { ...w, word: options.mask } : w));
  const { parts, wordIndexes } = textWords(event.text);
  const textMask = masks(wordIndexes.map((i) => parts[i]!));
  wordIndexes.forEach((partIndex, k) => {
    if (textMask[k]) parts[partIndex] = options.mask;
  });
  const text = parts.join('');
  if (text === event.text && wordMask.every((m) => !m)) return event;
  return { ...event, text, words };
}

/** The words the redactor reasons about: the timed words, or the text's words when there are none. */
function wordsOf(event: TranscriptEvent): string[] {
  return event.words.length > 0 ? event.words.map((w) => w.word) : event.text.split(/\s+/).filter(Boolean);
}

function firstWordStartMs(event: TranscriptEvent): number {
  return event.words[0]?.startMs ?? event.startMs;
}

/**
 * Masks one transcript on its own (no memory of earlier utterances): runs of at least `minDigits`
 * in a final, every digit run in a partial. Returns the event itself when nothing is masked.
 */
export function redactTranscript(event: TranscriptEvent, options: RedactionOptions, carryDigits = 0): TranscriptEvent {
  if (!options.enabled) return event;
  return applyMask(event, options, (words) => scan(words, options, !event.final, carryDigits).masked);
}

/** Masks `event` as redactTranscript does, and also the digit run it ends with. */
function redactWithTail(event: TranscriptEvent, options: RedactionOptions, carryDigits: number): TranscriptEvent {
  return applyMask(event, options, (words) => {
    const result = scan(words, options, false, carryDigits);
    if (result.last?.strong) for (let k = result.last.start; k < result.last.end; k++) result.masked[k] = true;
    return result.masked;
  });
}

/** Final utterances of one party held back while the number they end with may still grow. */
interface Held {
  /** Each with the digits carried into it (the first: none or an earlier masked number's). */
  events: Array<{ event: TranscriptEvent; carry: number }>;
  /** Digits of the number so far. */
  digits: number;
  /** Where the number's last word ends, on the call's timeline. */
  endMs: number;
  timer: NodeJS.Timeout | undefined;
  emit: (event: TranscriptEvent) => void;
}

/**
 * A call's redactor, with memory across utterances. A final that ends in a number shorter than
 * `minDigits` is held back (per party) until that number is known:
 * - the party's next final starts within `joinGapMs` with digit words: the number goes on. Reaching
 *   `minDigits` releases the held utterances with the whole number masked; an utterance that is
 *   digits only and still short joins the hold;
 * - the next transcript starts later than `joinGapMs`, or the number ends in it short: the held
 *   utterances are released as they were (a short number stays readable);
 * - nothing new from the party for `holdMs` (wall clock): released with the number masked (it was
 *   never known to be short), and the digits carry into the party's next utterance;
 * - the call ends (`flush`): released as they were.
 */
export class TranscriptRedactor {
  private readonly held = new Map<string, Held>();
  /** A masked number that ended a party's last released final, to continue into the next one. */
  private readonly carry = new Map<string, { digits: number; endMs: number }>();

  constructor(private readonly options: RedactionOptions) {}

  /** Redacts `event`; `emit` gets what may leave now and, later, what was held back. */
  push(event: TranscriptEvent, emit: (event: TranscriptEvent) => void): void {
    if (!this.options.enabled) return emit(event);
    const held = this.held.get(event.party);
    const joined = held !== undefined && firstWordStartMs(event) - held.endMs <= this.options.joinGapMs;
    if (held && !joined) this.release(event.party, false);
    if (!event.final) {
      if (held && joined) this.restartTimer(event.party, held);
      return emit(redactTranscript(event, this.options));
    }
    const previous = this.carry.get(event.party);
    const carry = held && joined ? held.digits : previous && firstWordStartMs(event) - previous.endMs <= this.options.joinGapMs ? previous.digits : 0;
    const words = wordsOf(event);
    const result = scan(words, this.options, false, carry);
    if (held && joined) {
      const run = result.first && carry > 0 ? result.first : undefined;
      if (run && run.digits < this.options.minDigits && run.end === words.length) {
        // Digits only, still short: the number may go on in the next utterance.
        held.events.push({ event, carry });
        held.digits = run.digits;
        held.endMs = event.endMs;
        this.restartTimer(event.party, held);
        return;
      }
      this.release(event.party, run !== undefined && run.digits >= this.options.minDigits);
    }
    const last = result.last;
    if (last?.strong && last.digits < this.options.minDigits && words.length > 0) {
      this.carry.delete(event.party);
      const hold: Held = { events: [{ event, carry }], digits: last.digits, endMs: event.endMs, timer: undefined, emit };
      this.held.set(event.party, hold);
      this.restartTimer(event.party, hold);
      return;
    }
    if (last?.strong) this.carry.set(event.party, { digits: last.digits, endMs: event.endMs });
    else if (words.length > 0) this.carry.delete(event.party);
    emit(redactTranscript(event, this.options, carry));
  }

  /** The call ended: every number is complete, so held utterances leave as they were. */
  flush(): void {
    for (const party of [...this.held.keys()]) this.release(party, false);
  }

  private release(party: string, masked: boolean): void {
    const held = this.held.get(party);
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(party);
    if (masked) this.carry.set(party, { digits: held.digits, endMs: held.endMs });
    for (const { event, carry } of held.events) {
      held.emit(masked ? redactWithTail(event, this.options, carry) : redactTranscript(event, this.options, carry));
    }
  }

  private restartTimer(party: string, held: Held): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => this.release(party, true), this.options.holdMs);
    held.timer.unref();
  }
}
