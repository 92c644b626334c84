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

interface Scan {
  masked: boolean[];
  /** Digits of the run that reaches the last word (0 if the words do not end in a number). */
  trailingDigits: number;
}

/**
 * Finds the runs to mask. `carryDigits` are digits said at the end of the previous utterance that
 * continue into a run at the very start of this one.
 */
function scan(words: readonly string[], options: RedactionOptions, partial: boolean, carryDigits: number): Scan {
  const masked = words.map(() => false);
  let trailingDigits = 0;
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
    const atEnd = j === words.length;
    const threshold = partial && atEnd ? Math.min(options.partialTrailingMinDigits, options.minDigits) : options.minDigits;
    if (strong && digits >= threshold) for (let k = i; k < j; k++) masked[k] = true;
    if (atEnd && strong) trailingDigits = digits;
    i = j;
  }
  return { masked, trailingDigits };
}

function maskText(text: string, options: RedactionOptions, partial: boolean, carryDigits: number): string {
  const parts = text.split(/(\s+)/); // words at even indices, white space kept
  const wordIndexes = parts.map((p, i) => (i % 2 === 0 && p !== '' ? i : -1)).filter((i) => i >= 0);
  const { masked } = scan(wordIndexes.map((i) => parts[i]!), options, partial, carryDigits);
  wordIndexes.forEach((partIndex, k) => {
    if (masked[k]) parts[partIndex] = options.mask;
  });
  return parts.join('');
}

/** Per-party memory of a number that ended the last final utterance. */
export interface RedactionState {
  carry: Map<string, { digits: number; endMs: number }>;
}

export function createRedactionState(): RedactionState {
  return { carry: new Map() };
}

/**
 * Masks one transcript (see the module comment). With `state`, a number read across a pause that
 * split it into two utterances is still caught in the second one (the first was already published).
 * Returns the event itself when nothing is masked or redaction is off.
 */
export function redactTranscript(event: TranscriptEvent, options: RedactionOptions, state?: RedactionState): TranscriptEvent {
  if (!options.enabled) return event;
  const partial = !event.final;
  const previous = state?.carry.get(event.party);
  const firstStart = event.words[0]?.startMs ?? event.startMs;
  const carryDigits = previous && firstStart - previous.endMs <= options.joinGapMs ? previous.digits : 0;

  const wordScan = scan(event.words.map((w) => w.word), options, partial, carryDigits);
  const words: WordTiming[] = event.words.map((w, i) => (wordScan.masked[i] ? { ...w, word: options.mask } : w));
  const text = maskText(event.text, options, partial, carryDigits);

  if (state && event.final) {
    const trailing = event.words.length > 0 ? wordScan.trailingDigits : scan(event.text.split(/\s+/).filter(Boolean), options, false, carryDigits).trailingDigits;
    if (trailing > 0) state.carry.set(event.party, { digits: trailing, endMs: event.endMs });
    else if (event.text.trim() !== '') state.carry.delete(event.party);
  }
  if (text === event.text && wordScan.masked.every((m) => !m)) return event;
  return { ...event, text, words };
}

/** A redactor for one call (keeps the cross-utterance state); the identity when redaction is off. */
export function createRedactor(options: RedactionOptions): (event: TranscriptEvent) => TranscriptEvent {
  if (!options.enabled) return (event) => event;
  const state = createRedactionState();
  return (event) => redactTranscript(event, options, state);
}
