/**
 * The tiny test model's vocabulary: each word is a pure tone centred on its own Kaldi mel bin
 * (40 bins, 20-7600 Hz at 16 kHz), with one unused bin between two words so a word's tone never
 * lands in another word's band. All tones are below 3 kHz, so they survive 8 kHz telephony audio.
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

/** Bins 6, 8, ..., 26: 393 Hz to 2902 Hz. */
const FIRST_BIN = 6;
const BIN_STEP = 2;

export const TONE_WORDS: readonly ToneWord[] = WORDS.map((word, i) => {
  const bin = FIRST_BIN + i * BIN_STEP;
  return { word, bin, hz: melBinCentreHz(bin) };
});

export const TINY_MODEL_WORDS: readonly string[] = WORDS;

export function toneWord(word: string): ToneWord {
  const found = TONE_WORDS.find((w) => w.word === word.toLowerCase());
  if (!found) throw new Error(`"${word}" is not a word of the tiny model; its words are: ${WORDS.join(', ')}`);
  return found;
}
