import { describe, it, expect } from 'vitest';
import { Resampler, type ResamplerQuality } from '../../src/audio/resampler.js';

function tone(n: number, freq: number, rate: number, amplitude: number, startAt = 0): Int16Array {
  return Int16Array.from({ length: n }, (_, i) =>
    i < startAt ? 0 : Math.round(amplitude * Math.sin((2 * Math.PI * freq * (i - startAt)) / rate)),
  );
}

function resampleAll(r: Resampler, input: Int16Array): Int16Array {
  const head = r.process(input);
  const tail = r.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Amplitude of the `freq` component over `samples` (least squares over the whole span). */
function toneAmplitude(samples: Int16Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    re += samples[i]! * Math.cos(w);
    im += samples[i]! * Math.sin(w);
  }
  return (2 * Math.hypot(re, im)) / samples.length;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

/** Power spectrum (Blackman-Harris window, radix-2 FFT) of the first 2^k samples. */
function powerSpectrum(samples: Int16Array, size: number): Float64Array {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = (2 * Math.PI * i) / (size - 1);
    const w = 0.35875 - 0.48829 * Math.cos(x) + 0.14128 * Math.cos(2 * x) - 0.01168 * Math.cos(3 * x);
    re[i] = samples[i]! * w;
  }
  for (let i = 1, j = 0; i < size; i++) {
    let bit = size >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= size; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < size; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const cr = Math.cos(angle * k);
        const ci = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
  const power = new Float64Array(size / 2);
  for (let k = 0; k < size / 2; k++) power[k] = re[k]! ** 2 + im[k]! ** 2;
  return power;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RATE_PAIRS: [number, number][] = [
  [8000, 16000],
  [16000, 8000],
  [11025, 16000],
  [22050, 16000],
  [44100, 16000],
  [48000, 16000],
  [8000, 11025],
];
const QUALITIES: ResamplerQuality[] = ['telephony', 'high'];

describe('Resampler', () => {
  describe.each(QUALITIES)('quality %s', (quality) => {
    it.each(RATE_PAIRS)('keeps a 1 kHz tone within 0.5 dB and in phase: %i -> %i Hz', (inRate, outRate) => {
      const amplitude = 12000;
      const out = resampleAll(new Resampler(inRate, outRate, { quality }), tone(inRate, 1000, inRate, amplitude));
      expect(out.length).toBe(outRate);
      // Steady state: skip 100 ms at each end, keep a whole number of 1 kHz periods.
      const skip = Math.floor(outRate / 10);
      const periods = 400;
      const steady = out.subarray(skip, skip + Math.round((periods * outRate) / 1000));
      const gainDb = 20 * Math.log10(toneAmplitude(steady, 1000, outRate) / amplitude);
      expect(Math.abs(gainDb)).toBeLessThan(0.5);
      // Sample by sample against the ideal tone at output times: this fails if the delay is not compensated.
      let worst = 0;
      for (let i = skip; i < outRate - skip; i++)
        worst = Math.max(worst, Math.abs(out[i]! - amplitude * Math.sin((2 * Math.PI * 1000 * i) / outRate)));
      expect(worst / amplitude).toBeLessThan(0.01);
    });
  });

  it.each(QUALITIES)('keeps the telephony band flat: 3 kHz at 8 -> 16 kHz within 0.5 dB (%s)', (quality) => {
    const out = resampleAll(new Resampler(8000, 16000, { quality }), tone(8000, 3000, 8000, 12000));
    const gainDb = 20 * Math.log10(toneAmplitude(out.subarray(1600, 14400), 3000, 16000) / 12000);
    expect(Math.abs(gainDb)).toBeLessThan(0.5);
  });

  it.each(QUALITIES.flatMap((q) => [6000, 4200, 5000, 7000].map((f) => [q, f] as const)))(
    'rejects what would alias when downsampling 16 -> 8 kHz by >= 50 dB (%s, %i Hz)',
    (quality, freq) => {
      const amplitude = 16000;
      const out = resampleAll(new Resampler(16000, 8000, { quality }), tone(16000, freq, 16000, amplitude));
      const attenuationDb = 20 * Math.log10(amplitude / Math.SQRT2 / rms(out.subarray(800, 7200)));
      expect(attenuationDb).toBeGreaterThanOrEqual(50);
    },
  );

  it.each([
    [48000, 16000, 10000],
    [44100, 16000, 12000],
    [22050, 16000, 9000],
  ])('rejects what would alias when downsampling %i -> %i Hz (%i Hz tone) by >= 50 dB', (inRate, outRate, freq) => {
    const amplitude = 16000;
    const out = resampleAll(new Resampler(inRate, outRate), tone(inRate, freq, inRate, amplitude));
    const attenuationDb = 20 * Math.log10(amplitude / Math.SQRT2 / rms(out.subarray(outRate / 10, outRate - outRate / 10)));
    expect(attenuationDb).toBeGreaterThanOrEqual(50);
  });

  it.each(QUALITIES)('leaves images >= 50 dB below the tone when upsampling 3 kHz from 8 -> 16 kHz (%s)', (quality) => {
    const out = resampleAll(new Resampler(8000, 16000, { quality }), tone(16000, 3000, 8000, 16000));
    const size = 8192;
    const power = powerSpectrum(out.subarray(4000, 4000 + size), size);
    const binHz = 16000 / size;
    let inBand = 0;
    let above = 0;
    power.forEach((p, k) => {
      if (k * binHz > 4200) above += p;
      else inBand += p;
    });
    const rejectionDb = 10 * Math.log10(inBand / above);
    expect(rejectionDb).toBeGreaterThanOrEqual(50);
  });

  describe('doubling the rate (telephony: half-band)', () => {
    it('passes every input sample through unchanged as every other output sample', () => {
      const random = mulberry32(7);
      const input = Int16Array.from({ length: 4000 }, () => Math.floor(random() * 65536) - 32768);
      const out = resampleAll(new Resampler(8000, 16000), input);
      expect(out.length).toBe(2 * input.length);
      for (let n = 0; n < input.length; n++) expect(out[2 * n], `sample ${n}`).toBe(input[n]);
    });

    it.each([300, 1000, 2000, 3400])('keeps %i Hz within 0.1 dB', (freq) => {
      const out = resampleAll(new Resampler(8000, 16000), tone(8000, freq, 8000, 12000));
      const gainDb = 20 * Math.log10(toneAmplitude(out.subarray(1600, 14400), freq, 16000) / 12000);
      expect(Math.abs(gainDb)).toBeLessThan(0.1);
    });

    it.each([500, 2000, 3000, 3500])('leaves the image of %i Hz >= 65 dB down', (freq) => {
      const out = resampleAll(new Resampler(8000, 16000), tone(16000, freq, 8000, 16000));
      const image = toneAmplitude(out.subarray(4000, 28000), 8000 - freq, 16000);
      expect(20 * Math.log10(16000 / image)).toBeGreaterThanOrEqual(65);
    });
  });

  it('reports its delay and compensates it: a tone edge stays within 1 ms of its place', () => {
    for (const [inRate, outRate] of RATE_PAIRS) {
      const r = new Resampler(inRate, outRate);
      expect(r.delayMs).toBeGreaterThan(0);
      const edgeMs = 250;
      const input = tone(inRate / 2, 500, inRate, 10000, (inRate * edgeMs) / 1000);
      const out = resampleAll(r, input);
      const firstLoud = out.findIndex((s) => Math.abs(s) >= 5000);
      const inputFirstLoud = input.findIndex((s) => Math.abs(s) >= 5000);
      const shiftMs = (firstLoud * 1000) / outRate - (inputFirstLoud * 1000) / inRate;
      expect(Math.abs(shiftMs), `${inRate} -> ${outRate}`).toBeLessThan(1);
    }
  });

  it('holds back exactly delayMs of audio until flush, and outputs ceil(n * out / in) in total', () => {
    for (const [inRate, outRate] of RATE_PAIRS) {
      for (const n of [0, 1, 7, 160, 441, 1000]) {
        const r = new Resampler(inRate, outRate);
        const head = r.process(new Int16Array(n).fill(100));
        const tail = r.flush();
        expect(head.length + tail.length, `${inRate} -> ${outRate}, n=${n}`).toBe(Math.ceil((n * outRate) / inRate));
        const heldMs = (tail.length * 1000) / outRate;
        if ((n * 1000) / inRate >= r.delayMs) expect(Math.abs(heldMs - r.delayMs)).toBeLessThanOrEqual(1000 / outRate + 1000 / inRate);
      }
    }
  });

  it.each(RATE_PAIRS)('gives the same bits whatever the chunking: %i -> %i Hz', (inRate, outRate) => {
    const random = mulberry32(inRate * 31 + outRate);
    // Full-scale noise also exercises clipping.
    const input = Int16Array.from({ length: inRate * 2 }, () => Math.floor(random() * 65536) - 32768);
    const whole = resampleAll(new Resampler(inRate, outRate), input);
    const r = new Resampler(inRate, outRate);
    const parts: Int16Array[] = [];
    for (let i = 0; i < input.length; ) {
      const size = Math.min(input.length - i, Math.floor(random() * 700) * (random() < 0.2 ? 0 : 1) + (random() < 0.1 ? 5000 : 0));
      parts.push(r.process(input.subarray(i, i + size)));
      i += size;
    }
    parts.push(r.flush());
    const chunked = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      chunked.set(p, offset);
      offset += p.length;
    }
    expect(chunked.length).toBe(whole.length);
    expect(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });

  it('starts fresh after flush', () => {
    const input = tone(800, 440, 8000, 9000);
    const r = new Resampler(8000, 16000);
    const first = resampleAll(r, input);
    const second = resampleAll(r, input);
    expect(second).toEqual(first);
  });

  it('passes DC at unity gain', () => {
    const out = resampleAll(new Resampler(44100, 16000), new Int16Array(44100).fill(-12345));
    for (let i = 1600; i < 14400; i++) expect(Math.abs(out[i]! + 12345)).toBeLessThanOrEqual(1);
  });

  it('is the identity with no copy when rates are equal', () => {
    const r = new Resampler(16000, 16000);
    const input = tone(320, 1000, 16000, 5000);
    expect(r.process(input)).toBe(input);
    expect(r.flush().length).toBe(0);
    expect(r.delayMs).toBe(0);
  });

  it('refuses bad rates and ratios that would need huge filters', () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(8000.5, 16000)).toThrow(RangeError);
    expect(() => new Resampler(8000, 7999)).toThrow(/phases/);
  });
});
