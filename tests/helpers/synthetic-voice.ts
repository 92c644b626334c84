import type { PartyPcm } from '../../src/audio/format.js';

/** Deterministic PRNG (mulberry32) so synthetic audio is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface VoiceSegment {
  /** Duration, ms. */
  ms: number;
  /** F0 in Hz (0 = silence, or noise only). */
  f0Hz?: number;
  /** RMS level of the voice, dBFS. */
  dbfs?: number;
  /** White noise level added to the segment, dBFS (omitted: none). */
  noiseDbfs?: number;
  /** Syllable rate, Hz: the voice is amplitude-modulated like speech (0 = steady). */
  syllableHz?: number;
  /**
   * Intonation: the pitch glides +-this many semitones around f0 at 3 Hz, as a voice does (0 or
   * omitted: a constant pitch, which the raised-tone detector takes for a held musical note).
   */
  glideSemitones?: number;
}

/**
 * Speech-like PCM: a harmonic complex (10 harmonics, 1/k amplitudes) at f0 with a syllable
 * envelope, plus optional white noise, segment by segment. A faint noise floor (-75 dBFS) keeps
 * "silence" from being digital zero.
 */
export function synthVoice(segments: VoiceSegment[], sampleRate: number, seed = 1): Int16Array {
  const total = segments.reduce((s, g) => s + Math.round((g.ms * sampleRate) / 1000), 0);
  const out = new Int16Array(total);
  const rand = prng(seed);
  let at = 0;
  let phase = 0;
  for (const g of segments) {
    const n = Math.round((g.ms * sampleRate) / 1000);
    const f0 = g.f0Hz ?? 0;
    const harmonics = f0 > 0 ? Math.min(10, Math.floor(sampleRate / 2 / f0) - 1) : 0;
    let norm = 0;
    for (let k = 1; k <= harmonics; k++) norm += 1 / (k * k);
    // RMS of sum of sines with amplitudes a_k is sqrt(sum a_k^2 / 2); the envelope's mean square is 0.5.
    const envMeanSquare = (g.syllableHz ?? 0) > 0 ? 0.5 : 1;
    const target = f0 > 0 ? 32768 * 10 ** ((g.dbfs ?? -20) / 20) : 0;
    const amp = f0 > 0 ? target / Math.sqrt((norm / 2) * envMeanSquare) : 0;
    const noiseAmp = g.noiseDbfs !== undefined ? 32768 * 10 ** (g.noiseDbfs / 20) * Math.sqrt(3) : 32768 * 10 ** (-75 / 20) * Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      let v = 0;
      if (f0 > 0) {
        const glide = g.glideSemitones ?? 0;
        const f = glide > 0 ? f0 * 2 ** ((glide * Math.sin((2 * Math.PI * 3 * i) / sampleRate)) / 12) : f0;
        phase += (2 * Math.PI * f) / sampleRate;
        for (let k = 1; k <= harmonics; k++) v += Math.sin(k * phase) / k;
        const t = i / sampleRate;
        const env = (g.syllableHz ?? 0) > 0 ? Math.sin(Math.PI * g.syllableHz! * t) ** 2 : 1;
        v *= amp * env;
      }
      v += (rand() * 2 - 1) * noiseAmp;
      out[at + i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    at += n;
  }
  return out;
}

/** Split a party's PCM into 20 ms packets on the call timeline. */
export function packets(party: string, pcm: Int16Array, sampleRate: number, packetMs = 20, offsetSamples = 0): PartyPcm[] {
  const size = Math.round((sampleRate * packetMs) / 1000);
  const out: PartyPcm[] = [];
  for (let i = 0; i < pcm.length; i += size) {
    out.push({ party, samples: pcm.subarray(i, i + size), sampleRate, startSample: offsetSamples + i });
  }
  return out;
}

/** Interleave several parties' packets by timeline position (as a live call delivers them). */
export function interleave(...streams: PartyPcm[][]): PartyPcm[] {
  return streams.flat().sort((a, b) => a.startSample / a.sampleRate - b.startSample / b.sampleRate);
}
