import { describe, expect, it } from 'vitest';
import { compilePhrase, matchAny, matchProximity, PhraseSyntaxError, spanText } from '../../src/analytics/text/match.js';
import { containsCjk, normalizeWord } from '../../src/analytics/text/normalize.js';
import { tokenizeText, tokenizeTranscript, tokensTimed } from '../../src/analytics/text/tokenize.js';
import { final, partial } from '../helpers/transcripts.js';

const tokens = (text: string) => tokenizeText(text);
const spans = (phrase: string, text: string) => compilePhrase(phrase).match(tokens(text));

describe('normalization and tokens', () => {
  it('folds case, full-width forms and edge punctuation, keeps inner apostrophes', () => {
    expect(normalizeWord('Hello,')).toBe('hello');
    expect(normalizeWord('ＧＵＡＲＡＮＴＥＥＤ')).toBe('guaranteed');
    expect(normalizeWord("Don't")).toBe("don't");
    expect(normalizeWord('...')).toBe('');
    expect(containsCjk('取消')).toBe(true);
    expect(containsCjk('cancel')).toBe(false);
  });

  it('uses word timings when present, text otherwise', () => {
    const timed = tokenizeTranscript(final('agent', 0, 'Hello there', 1000));
    expect(timed).toEqual([
      { text: 'hello', startMs: 1000, endMs: 1350, conf: 1 },
      { text: 'there', startMs: 1400, endMs: 1750, conf: 1 },
    ]);
    expect(tokensTimed(timed)).toBe(true);
    const untimed = tokenizeTranscript(partial('agent', 0, 'Hello there', 1000, false));
    expect(untimed).toEqual([{ text: 'hello' }, { text: 'there' }]);
    expect(tokensTimed(untimed)).toBe(false);
  });
});

describe('whole-word phrases', () => {
  it('matches case-insensitively on whole words only', () => {
    expect(spans('cancel', 'I want to CANCEL, now')).toEqual([{ start: 3, end: 4 }]);
    expect(spans('cancel', 'the cancellation fee')).toEqual([]);
    expect(spans('can', 'you cancel it')).toEqual([]);
  });

  it('matches multi-word phrases in order, non-overlapping, every occurrence', () => {
    expect(spans('close my account', 'please close my account')).toEqual([{ start: 1, end: 4 }]);
    expect(spans('close my account', 'my account close')).toEqual([]);
    expect(spans('no no', 'no no no no')).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
    ]);
  });

  it('supports wildcards inside a word and a lone * for any one word', () => {
    expect(spans('refund*', 'I got refunded twice, want refunds').map((s) => s.start)).toEqual([2, 5]);
    expect(spans('refund*', 'a prerefund thing')).toEqual([]);
    expect(spans('*fund', 'refund me')).toEqual([{ start: 0, end: 1 }]);
    expect(spans('cancel * account', 'cancel my account')).toEqual([{ start: 0, end: 3 }]);
    expect(spans('cancel * account', 'cancel account')).toEqual([]);
    expect(spans('cancel * account', 'cancel my whole account')).toEqual([]);
  });

  it('rejects phrases that cannot mean anything', () => {
    expect(() => compilePhrase('  ... ')).toThrow(PhraseSyntaxError);
    expect(() => compilePhrase('* *')).toThrow(PhraseSyntaxError);
  });
});

describe('CJK substring matching', () => {
  // Vosk Chinese models put spaces between words; speakers do not.
  it('matches across token boundaries with spaces removed, mapping back to whole tokens', () => {
    const t = tokens('我 要 取消 账户');
    expect(compilePhrase('取消账户').match(t)).toEqual([{ start: 2, end: 4 }]);
    expect(compilePhrase('消账').match(t)).toEqual([{ start: 2, end: 4 }]);
    expect(compilePhrase('取消 账户').match(t)).toEqual([{ start: 2, end: 4 }]);
    expect(spanText(t, { start: 2, end: 4 })).toBe('取消账户');
  });

  it('does not match what is not there, and supports a lazy wildcard', () => {
    expect(compilePhrase('退款').match(tokens('我 要 取消 账户'))).toEqual([]);
    expect(compilePhrase('取消*账户').match(tokens('取消 我的 账户 和 账户'))).toEqual([{ start: 0, end: 3 }]);
    expect(compilePhrase('退款').mode).toBe('substring');
    expect(compilePhrase('refund').mode).toBe('word');
  });
});

describe('phrase sets and proximity', () => {
  it('prefers the longer phrase where two overlap', () => {
    const matchers = ['cancel', 'cancel my account'].map(compilePhrase);
    expect(matchAny(matchers, tokens('cancel my account then cancel'))).toEqual([
      { start: 0, end: 3, phrase: 'cancel my account' },
      { start: 4, end: 5, phrase: 'cancel' },
    ]);
  });

  it('finds a within N words of b, either order unless ordered', () => {
    const a = [compilePhrase('cancel*')];
    const b = [compilePhrase('account')];
    expect(matchProximity(a, b, tokens('cancel my account'), 1, false)).toEqual([{ start: 0, end: 3, tightness: 0.5 }]); // gap 1 of 1
    expect(matchProximity(a, b, tokens('cancel the whole entire account'), 3, false)).toEqual([{ start: 0, end: 5, tightness: 0.5 }]);
    expect(matchProximity(a, b, tokens('cancel the whole entire old account'), 3, false)).toEqual([]); // too far
    expect(matchProximity(a, b, tokens('account cancelled'), 0, false)).toEqual([{ start: 0, end: 2, tightness: 1 }]);
    expect(matchProximity(a, b, tokens('account cancelled'), 0, true)).toEqual([]); // order required
    expect(matchProximity(a, b, tokens('cancel it'), 3, false)).toEqual([]);
  });
});
