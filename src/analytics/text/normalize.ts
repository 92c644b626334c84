/**
 * Text normalization shared by every text detector, so a phrase in config and a word from the
 * recognizer compare equal when a person would say they are the same word.
 */

/** Han, Hiragana, Katakana, Hangul: scripts written without spaces between words. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const EDGE_PUNCTUATION = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;

export function containsCjk(text: string): boolean {
  return CJK.test(text);
}

/**
 * One word as the matchers see it: NFKC (full-width letters and digits fold to ASCII), lower case,
 * punctuation stripped from both ends ("Hello," -> "hello"); inner apostrophes and hyphens are kept
 * ("don't", "e-mail"). May return '' for a token that was only punctuation.
 */
export function normalizeWord(word: string): string {
  return word.normalize('NFKC').toLowerCase().replace(EDGE_PUNCTUATION, '');
}

/** Same as normalizeWord but keeps `*`, the wildcard of rule phrases. */
export function normalizePatternWord(word: string): string {
  const folded = word.normalize('NFKC').toLowerCase();
  return folded.replace(/^[^\p{L}\p{N}*]+|[^\p{L}\p{N}*]+$/gu, '');
}
