import { containsCjk, normalizePatternWord } from './normalize.js';
import type { Token } from './tokenize.js';

/** Tokens [start, end) of one utterance that a phrase matched. */
export interface Span {
  start: number;
  end: number;
  /** Proximity matches: 1 when the two pieces are adjacent, down to 0.5 at the `withinWords` limit. */
  tightness?: number;
}

export interface PhraseMatcher {
  /** The phrase as configured. */
  readonly phrase: string;
  /** 'word': whole words in order; 'substring': CJK text matched with the spaces removed. */
  readonly mode: 'word' | 'substring';
  /** Non-overlapping matches, left to right. */
  match(tokens: readonly Token[]): Span[];
}

export class PhraseSyntaxError extends Error {}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `*` matches any run of characters within one word ("refund*" matches "refunds", "refunded"). */
function wordPattern(word: string): (token: string) => boolean {
  if (!word.includes('*')) return (token) => token === word;
  const re = new RegExp(`^${word.split('*').map(escapeRegExp).join('.*')}$`, 'u');
  return (token) => re.test(token);
}

/**
 * Compiles a configured phrase. A phrase with CJK characters is matched as a substring of the
 * utterance with spaces removed (Vosk's Chinese models put spaces between words, a speaker does not);
 * any other phrase is matched case-insensitively on whole words, where `*` inside a word is a
 * wildcard and a lone `*` stands for any one word ("cancel * account").
 */
export function compilePhrase(phrase: string): PhraseMatcher {
  if (containsCjk(phrase)) return substringMatcher(phrase);
  const words = phrase.split(/\s+/).map(normalizePatternWord).filter((w) => w.length > 0);
  if (words.length === 0) throw new PhraseSyntaxError(`phrase "${phrase}" has no words`);
  if (words.every((w) => /^\*+$/.test(w))) throw new PhraseSyntaxError(`phrase "${phrase}" is only wildcards`);
  const tests = words.map(wordPattern);
  return {
    phrase,
    mode: 'word',
    match(tokens) {
      const spans: Span[] = [];
      let i = 0;
      while (i + tests.length <= tokens.length) {
        if (tests.every((test, k) => test(tokens[i + k]!.text))) {
          spans.push({ start: i, end: i + tests.length });
          i += tests.length;
        } else i++;
      }
      return spans;
    },
  };
}

function substringMatcher(phrase: string): PhraseMatcher {
  const compact = phrase.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
  if (compact.replace(/\*/g, '') === '') throw new PhraseSyntaxError(`phrase "${phrase}" is only wildcards`);
  // Lazy wildcard so "取消*账户" takes the nearest 账户.
  const re = new RegExp(compact.split('*').map(escapeRegExp).join('.*?'), 'gu');
  return {
    phrase,
    mode: 'substring',
    match(tokens) {
      let joined = '';
      const owner: number[] = []; // UTF-16 index in `joined` -> token index
      tokens.forEach((t, index) => {
        joined += t.text;
        for (let k = 0; k < t.text.length; k++) owner.push(index);
      });
      const spans: Span[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(joined); m !== null; m = re.exec(joined)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const start = owner[m.index]!;
        const end = owner[m.index + m[0].length - 1]! + 1;
        const last = spans[spans.length - 1];
        // Two matches inside one token would share a span; one occurrence per token range.
        if (!last || start >= last.end) spans.push({ start, end });
      }
      return spans;
    },
  };
}

/** Matches of any of several phrases, longest phrase first, without overlaps. */
export function matchAny(matchers: readonly PhraseMatcher[], tokens: readonly Token[]): Array<Span & { phrase: string }> {
  const taken: Array<Span & { phrase: string }> = [];
  const byLength = [...matchers].sort((a, b) => b.phrase.length - a.phrase.length);
  for (const matcher of byLength) {
    for (const span of matcher.match(tokens)) {
      if (taken.some((t) => span.start < t.end && t.start < span.end)) continue;
      taken.push({ ...span, phrase: matcher.phrase });
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}

/**
 * Proximity: a match of `a` and a match of `b` with at most `withinWords` words between them
 * ("cancel my account": one word between). `ordered` requires `a` first. Each `a` match pairs with
 * its nearest `b`; the span covers both.
 */
export function matchProximity(
  a: readonly PhraseMatcher[],
  b: readonly PhraseMatcher[],
  tokens: readonly Token[],
  withinWords: number,
  ordered: boolean,
): Span[] {
  const left = matchAny(a, tokens);
  const right = matchAny(b, tokens);
  const spans: Span[] = [];
  for (const x of left) {
    let best: { span: Span; gap: number } | undefined;
    for (const y of right) {
      if (x.start < y.end && y.start < x.end) continue; // the same words cannot be both
      const gap = y.start >= x.end ? y.start - x.end : ordered ? Infinity : x.start - y.end;
      if (gap <= withinWords && (!best || gap < best.gap)) {
        best = { span: { start: Math.min(x.start, y.start), end: Math.max(x.end, y.end), tightness: 1 - (0.5 * gap) / Math.max(1, withinWords) }, gap };
      }
    }
    if (best && !spans.some((s) => s.start === best.span.start && s.end === best.span.end)) spans.push(best.span);
  }
  return spans.sort((p, q) => p.start - q.start);
}

/** The words of a span, for evidence. */
export function spanText(tokens: readonly Token[], span: Span): string {
  const words = tokens.slice(span.start, span.end).map((t) => t.text);
  return words.join(words.some(containsCjk) ? '' : ' ');
}
