/**
 * The tiny test model's vocabulary: each word is a pure tone centred on its own Kaldi mel bin
 * (40 bins, 20-7600 Hz at 16 kHz). A tone at one bin's centre lies on the edges of its neighbours'
 * triangular filters, so adjacent bins stay separable. All tones are below 3 kHz, so they survive
 * 8 kHz telephony audio.
 */

export const MEL_BINS = 40;
export const MEL_LOW_HZ = 20;
export const MEL_HIGH_HZ = 7600;
export const MODEL_SAMPLE_RATE = 16_000;

export interface ToneWord {
  word: string;
  /** Index of the word's mel bin (0-based). */
  bin: number;
  /** Tone frequency, Hz: the centre of that bin. */
  hz: number;
}

/** Kaldi's mel scale. */
const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
const hzOfMel = (m: number): number => 700 * (Math.exp(m / 1127) - 1);

/** Centre frequency of mel bin `bin`, exactly as Kaldi's MelBanks places it. */
export function melBinCentreHz(bin: number): number {
  const low = mel(MEL_LOW_HZ);
  const delta = (mel(MEL_HIGH_HZ) - low) / (MEL_BINS + 1);
  return hzOfMel(low + (bin + 1) * delta);
}

const WORDS = [
  'hello',
  'recorded',
  'verify',
  'cancel',
  'account',
  'refund',
  'supervisor',
  'guaranteed',
  'thanks',
  'balance',
  'anything',
] as const;

/** Digits, so tests can speak card and account numbers (redaction). */
const DIGITS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'] as const;

/**
 * Words on bins 6, 8, ..., 26 (393-2902 Hz); digits on the odd bins 15, 17, ..., 27 (up to 3123 Hz).
 * Below bin 15 the mel filters are narrower than a windowed tone's spectrum, so neighbouring bins
 * are confused there: the low words keep an empty bin on each side.
 */
export const TONE_WORDS: readonly ToneWord[] = [
  ...WORDS.map((word, i) => ({ word, bin: 6 + 2 * i })),
  ...DIGITS.map((word, i) => ({ word, bin: 15 + 2 * i })),
].map((w) => ({ ...w, hz: melBinCentreHz(w.bin) }));

export const TINY_MODEL_WORDS: readonly string[] = TONE_WORDS.map((w) => w.word);

export function toneWord(word: string): ToneWord {
  const found = TONE_WORDS.find((w) => w.word === word.toLowerCase());
  if (!found) throw new Error(`"${word}" is not a word of the tiny model; its words are: ${TINY_MODEL_WORDS.join(', ')}`);
  return found;
}
