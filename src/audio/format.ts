/**
 * Audio units used everywhere in the engine.
 * - Sample rates are in Hz, positions in samples (integers), durations and timestamps in milliseconds.
 * - PCM inside the engine is always signed 16-bit, mono per party, held in an Int16Array.
 */

export const AUDIO_ENCODINGS = ['pcm16', 'mulaw', 'alaw'] as const;
export type AudioEncoding = (typeof AUDIO_ENCODINGS)[number];

/** How audio arrives on the wire for one call. */
export interface WireAudioFormat {
  encoding: AudioEncoding;
  /** Hz, e.g. 8000 or 16000. */
  sampleRate: number;
  /** Interleaved channel count; channel i belongs to parties[i]. */
  channels: number;
}

/** Mono PCM16 for one party, positioned on the call's timeline by sample count. */
export interface PartyPcm {
  party: string;
  samples: Int16Array;
  sampleRate: number;
  /** Index (at `sampleRate`) of samples[0] from the start of the call. */
  startSample: number;
}

/** Bytes per sample for each wire encoding. */
export function bytesPerSample(encoding: AudioEncoding): number {
  return encoding === 'pcm16' ? 2 : 1;
}

export function samplesToMs(samples: number, sampleRate: number): number {
  return (samples * 1000) / sampleRate;
}

export function msToSamples(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}
