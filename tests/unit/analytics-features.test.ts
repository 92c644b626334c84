import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { rmsDbfs, SILENCE_DBFS } from '../../src/audio/features/loudness.js';
import { YinPitchEstimator } from '../../src/audio/features/pitch.js';
import { EnergyVad } from '../../src/audio/features/vad.js';
import { FrameAnalyzer, frameStartMs } from '../../src/audio/features/frame-analyzer.js';
import { Decimator } from '../../src/audio/features/decimator.js';
import { hannWeights, spectralSpread } from '../../src/audio/features/spread.js';
import { partyFrames, SampleRateChangeError } from '../../src/audio/features/party-frames.js';
import { defaultMeasuresOptions } from '../../src/analytics/measures-options.js';
import { prng, synthVoice } from '../helpers/synthetic-voice.js';

const frameOpts = defaultMeasuresOptions().frames;

function sine(freq: number, amplitude: number, n: number, rate: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

describe('rmsDbfs', () => {
  it('gives -3 dBFS for a full-scale sine and 0 for a full-scale square wave', () => {
    expect(rmsDbfs(sine(1000, 32767, 8000, 8000), 0, 8000)).toBeCloseTo(-3.01, 1);
    const square = new Float32Array(160).map((_, i) => (i % 2 === 0 ? 32768 : -32768));
    expect(rmsDbfs(square, 0, 160)).toBeCloseTo(0, 5);
  });
  it('measures only the requested range and clamps silence', () => {
    const x = new Float32Array(320);
    x.set(sine(500, 3277, 160, 8000), 160);
    expect(rmsDbfs(x, 0, 160)).toBe(SILENCE_DBFS);
    expect(rmsDbfs(x, 160, 160)).toBeCloseTo(-23, 0);
  });
});

describe('YinPitchEstimator', () => {
  for (const rate of [8000, 16000]) {
    for (const f0 of [85, 120, 210, 330]) {
      it(`finds ${f0} Hz in a harmonic voice at ${rate} Hz within 2%`, () => {
        const pcm = synthVoice([{ ms: 100, f0Hz: f0, dbfs: -20 }], rate);
        const window = Math.round(rate * 0.04);
        const x = Float32Array.from(pcm.subarray(0, window));
        const yin = new YinPitchEstimator({ sampleRate: rate, minF0Hz: 70, maxF0Hz: 400, windowLength: window, threshold: 0.15 });
        const r = yin.estimate(x, 0);
        expect(Math.abs(r.f0Hz - f0) / f0).toBeLessThan(0.02);
        expect(r.aperiodicity).toBeLessThan(0.1);
      });
    }
  }
  it('calls white noise aperiodic', () => {
    const rand = prng(7);
    const x = new Float32Array(320).map(() => (rand() * 2 - 1) * 10000);
    const yin = new YinPitchEstimator({ sampleRate: 8000, minF0Hz: 70, maxF0Hz: 400, windowLength: 320, threshold: 0.15 });
    expect(yin.estimate(x, 0).aperiodicity).toBeGreaterThan(0.35);
  });
  it('rejects a window too short for the lowest pitch', () => {
    expect(() => new YinPitchEstimator({ sampleRate: 8000, minF0Hz: 70, maxF0Hz: 400, windowLength: 120, threshold: 0.15 })).toThrow(RangeError);
  });
});

describe('Decimator', () => {
  const gainOf = (freq: number): number => {
    const d = new Decimator(2);
    const x = sine(freq, 10000, 2000, 16000);
    const out = new Float32Array(900);
    d.run(x, 0, out, 900);
    return rmsDbfs(out, 100, 800) - rmsDbfs(x, 0, 2000);
  };
  it('passes the pitch band at unity gain and removes what would alias', () => {
    expect(gainOf(200)).toBeCloseTo(0, 1);
    expect(gainOf(1000)).toBeCloseTo(0, 0);
    expect(gainOf(5500)).toBeLessThan(-40);
  });
  it('rejects a factor below 2', () => {
    expect(() => new Decimator(1)).toThrow(RangeError);
  });
});

describe('EnergyVad', () => {
  const opts = { frameMs: 20, marginDb: 10, minDbfs: -55, floorRiseDbPerSec: 1, floorFallMs: 100, floorWindowMs: 2000 };
  it('calls speech-level frames active from the first frame and silence inactive', () => {
    const vad = new EnergyVad(opts);
    expect(vad.update(-25)).toBe(true);
    expect(vad.update(-80)).toBe(false);
  });
  it('learns steady noise as its floor within the window, then hears speech above it', () => {
    const vad = new EnergyVad(opts);
    const frames = (ms: number) => ms / 20;
    let active = 0;
    for (let i = 0; i < frames(10_000); i++) if (vad.update(-35 + (i % 3) * 0.5)) active++;
    expect(active).toBeLessThanOrEqual(frames(2200)); // until the ~2 s floor window filled
    expect(vad.noiseFloorDb).toBeGreaterThan(-36);
    expect(vad.update(-34)).toBe(false);
    expect(vad.update(-20)).toBe(true);
  });
  it('never calls frames below minDbfs active', () => {
    const vad = new EnergyVad(opts);
    for (let i = 0; i < 100; i++) vad.update(-100);
    expect(vad.update(-60)).toBe(false);
  });
});

describe('spectralSpread', () => {
  it('is 1 for a sine at any frequency, phase and gain, larger for a harmonic voice', () => {
    const w = hannWeights(318);
    for (const hz of [200, 440, 1000, 2900]) {
      for (const amp of [0.01, 0.5]) expect(spectralSpread(sine(hz, amp, 400, 8000), 357, w)).toBeCloseTo(1, 2);
    }
    const voice = Float32Array.from(synthVoice([{ ms: 100, f0Hz: 300, dbfs: -20 }], 8000), (v) => v / 32768);
    expect(spectralSpread(voice, 400, w)).toBeGreaterThan(1.2);
  });
});

describe('FrameAnalyzer', () => {
  it('does not call a pure tone voiced (a beep is not a voice), but a harmonic voice at the same pitch is', () => {
    const rate = 8000;
    const tone = Int16Array.from(sine(440, 0.3, rate, rate), (v) => Math.round(v * 32767));
    const b = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate }).push(tone, 0)!;
    expect(b.active.some((a) => a === 1)).toBe(true);
    // The first frame's window is half silence: the onset itself is not a pure tone.
    expect(b.f0Hz.slice(1).every((f) => f === 0)).toBe(true);
    const voice = synthVoice([{ ms: 1000, f0Hz: 440, dbfs: -20 }], rate);
    const v = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate }).push(voice, 0)!;
    expect([...v.f0Hz].filter((f) => Math.abs(f - 440) < 5).length).toBeGreaterThan(40);
  });
  it('puts frames on the call grid, estimates pitch on voiced frames only', () => {
    const rate = 8000;
    const pcm = synthVoice([{ ms: 500 }, { ms: 1000, f0Hz: 150, dbfs: -22 }, { ms: 500 }], rate);
    const fa = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate });
    const b = fa.push(pcm, 0)!;
    expect(b.count).toBe(100);
    expect(b.firstFrame).toBe(0);
    expect(frameStartMs(25, b.hopSamples, b.sampleRate)).toBe(500);
    for (let i = 0; i < 25; i++) expect(b.f0Hz[i]).toBe(0);
    let voiced = 0;
    for (let i = 27; i < 75; i++) if (Math.abs(b.f0Hz[i]! - 150) < 3) voiced++;
    expect(voiced).toBeGreaterThanOrEqual(46);
    for (let i = 77; i < 100; i++) expect(b.active[i]).toBe(0);
    expect(b.levelDb[50]).toBeCloseTo(-22, 0);
  });
  it('estimates pitch at 16 kHz (on the decimated window) as at 8 kHz', () => {
    for (const rate of [8000, 16000]) {
      const pcm = synthVoice([{ ms: 1000, f0Hz: 237, dbfs: -22 }], rate);
      const b = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate }).push(pcm, 0)!;
      const f0 = [...b.f0Hz].slice(5);
      expect(f0.every((f) => Math.abs(f - 237) < 2)).toBe(true);
    }
  });
  it('gives the same frames whatever the packet size', () => {
    const rate = 16000;
    const pcm = synthVoice([{ ms: 800, f0Hz: 200, dbfs: -25, syllableHz: 4 }], rate);
    const whole = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate }).push(pcm, 0)!;
    const fa = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate });
    const levels: number[] = [];
    for (let i = 0; i < pcm.length; i += 77) {
      const b = fa.push(pcm.subarray(i, i + 77), i);
      if (b) levels.push(...b.levelDb);
    }
    expect(levels).toEqual([...whole.levelDb]);
  });
  it('starts on the grid of a late first packet, drops overlap, and skips frames inside a gap', () => {
    const rate = 8000;
    const fa = new FrameAnalyzer('a', { ...frameOpts, sampleRate: rate });
    const pcm = synthVoice([{ ms: 200, f0Hz: 120, dbfs: -20 }], rate);
    const first = fa.push(pcm.subarray(0, 800), 1680)!; // starts mid-frame 10
    expect(first.firstFrame).toBe(10);
    expect(first.count).toBe(5); // frames 10..14 complete at sample 2480
    const overlap = fa.push(pcm.subarray(0, 400), 2400); // 80 samples of overlap dropped
    expect(overlap!.firstFrame).toBe(15);
    expect(fa.nextFrame).toBe(17);
    const afterGap = fa.push(pcm.subarray(0, 480), 8000)!; // gap: frames 17..49 not emitted
    expect(afterGap.firstFrame).toBe(50);
    expect(afterGap.count).toBe(3);
  });
});

describe('partyFrames', () => {
  it('analyses each party separately', async () => {
    const pcm = synthVoice([{ ms: 200, f0Hz: 120, dbfs: -20 }], 8000);
    const out = await lastValueFrom(
      partyFrames(
        from([
          { party: 'a', samples: pcm, sampleRate: 8000, startSample: 0 },
          { party: 'b', samples: pcm, sampleRate: 8000, startSample: 0 },
        ]),
        frameOpts,
      ).pipe(toArray()),
    );
    expect(out.map((b) => [b.party, b.firstFrame, b.count])).toEqual([
      ['a', 0, 10],
      ['b', 0, 10],
    ]);
  });
  it('fails with a clear error when a party changes rate mid-call', async () => {
    const pcm = new Int16Array(160);
    const frames$ = partyFrames(
      from([
        { party: 'a', samples: pcm, sampleRate: 8000, startSample: 0 },
        { party: 'a', samples: pcm, sampleRate: 16000, startSample: 320 },
      ]),
      frameOpts,
    );
    await expect(lastValueFrom(frames$.pipe(toArray()))).rejects.toBeInstanceOf(SampleRateChangeError);
  });
});
