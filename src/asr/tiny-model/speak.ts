import { toneWord } from './vocabulary.js';

export interface SpeakOptions {
  /** Output rate, Hz (8000 for telephony; the engine resamples to the model's 16 kHz). */
  sampleRate: number;
  /** Length of each word's tone, ms. */
  wordMs?: number;
  /** Silence between two words of a phrase, ms. */
  gapMs?: number;
  /** Peak amplitude of the tone (int16 units). The model decodes ~300..30000 reliably. */
  amplitude?: number;
}

/** Raised-cosine ramps at each tone edge, ms: a hard edge is a broadband click. */
const RAMP_MS = 8;

export function phraseDurationMs(text: string, options: Omit<SpeakOptions, 'sampleRate'> = {}): number {
  const count = splitWords(text).length;
  if (count === 0) return 0;
  return count * (options.wordMs ?? 400) + (count - 1) * (options.gapMs ?? 150);
}

/** "Says" a phrase of tiny-model words: one tone per word, `gapMs` of silence between words. */
export function speakPhrase(text: string, options: SpeakOptions): Int16Array {
  const { sampleRate } = options;
  const wordMs = options.wordMs ?? 400;
  const gapMs = options.gapMs ?? 150;
  const amplitude = options.amplitude ?? 8000;
  const words = splitWords(text).map(toneWord);
  const total = Math.round((phraseDurationMs(text, options) * sampleRate) / 1000);
  const out = new Int16Array(total);
  const wordSamples = Math.round((wordMs * sampleRate) / 1000);
  const ramp = Math.round((RAMP_MS * sampleRate) / 1000);
  words.forEach((w, i) => {
    const offset = Math.round((i * (wordMs + gapMs) * sampleRate) / 1000);
    const step = (2 * Math.PI * w.hz) / sampleRate;
    for (let n = 0; n < wordSamples && offset + n < total; n++) {
      const edge = Math.min(n, wordSamples - 1 - n);
      const gain = edge >= ramp ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp);
      out[offset + n] = Math.round(amplitude * gain * Math.sin(step * n));
    }
  });
  return out;
}

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}
