import { describe, it, expect } from 'vitest';
import { alawDecode, alawEncode, ALAW_TO_LINEAR, mulawDecode, mulawEncode, MULAW_TO_LINEAR } from '../../src/audio/g711.js';

// Independent formulations (the classic Sun Microsystems g711.c) to cross-check every code.
function sunUlawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}
function sunAlawToLinear(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
const allSamples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

function sineWave(n: number, freq: number, rate: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)));
}

function snrDb(reference: Int16Array, decoded: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - decoded[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/**
 * decode(encode(x)) is one of the two levels around x (allowing for the low bits the law drops), and
 * within half a step of x, the step being the larger gap next to the chosen level.
 */
function assertNearestLevel(levels: Int16Array, roundTrip: Int16Array, droppedBits: number, clipAt: number): void {
  const sorted = [...new Set(levels)].sort((a, b) => a - b);
  const tolerance = 1 << droppedBits;
  const failures: string[] = [];
  for (let i = 0; i < allSamples.length; i++) {
    const x = allSamples[i]!;
    const y = roundTrip[i]!;
    const k = sorted.indexOf(y);
    if (k < 0) {
      failures.push(`${x} -> ${y} is not a level`);
      continue;
    }
    if (Math.abs(x) > clipAt) continue;
    const below = k > 0 ? y - sorted[k - 1]! : 0;
    const above = k < sorted.length - 1 ? sorted[k + 1]! - y : 0;
    if (Math.abs(y - x) > Math.max(below, above) / 2 + tolerance) failures.push(`${x} -> ${y}`);
    // A level strictly between x and y would have been closer.
    const lo = Math.min(x, y) + tolerance;
    const hi = Math.max(x, y) - tolerance;
    if (sorted.some((level) => level > lo && level < hi)) failures.push(`${x} -> ${y} skips a level`);
  }
  expect(failures.slice(0, 5)).toEqual([]);
}

describe('G.711 mu-law', () => {
  it('decodes known ITU values', () => {
    expect(Array.from(mulawDecode(Uint8Array.of(0xff, 0x00, 0x7f, 0x80, 0xfe, 0x7e, 0xef, 0x6f)))).toEqual([
      0, -32124, 0, 32124, 8, -8, 132, -132,
    ]);
  });

  it('matches an independent decoder for all 256 codes', () => {
    const decoded = mulawDecode(allCodes);
    for (let c = 0; c < 256; c++) expect(decoded[c], `code 0x${c.toString(16)}`).toBe(sunUlawToLinear(c));
    expect(MULAW_TO_LINEAR).toEqual(decoded);
  });

  it('round-trips every code (negative zero 0x7F encodes back as 0xFF)', () => {
    const again = mulawEncode(mulawDecode(allCodes));
    for (let c = 0; c < 256; c++) expect(again[c]).toBe(c === 0x7f ? 0xff : c);
  });

  it('encodes known values, clipping at the top segment', () => {
    expect(Array.from(mulawEncode(Int16Array.of(0, -1, 32767, -32768, 8, -8, 32124)))).toEqual([0xff, 0x7f, 0x80, 0x00, 0xfe, 0x7e, 0x80]);
  });

  it('quantizes every 16-bit sample to its nearest level', () => {
    assertNearestLevel(MULAW_TO_LINEAR, mulawDecode(mulawEncode(allSamples)), 2, 32124);
  });

  it('keeps the SNR of a -10 dBFS tone above 35 dB', () => {
    const tone = sineWave(8000, 1000, 8000, 10362);
    expect(snrDb(tone, mulawDecode(mulawEncode(tone)))).toBeGreaterThan(35);
  });
});

describe('G.711 A-law', () => {
  it('decodes known ITU values', () => {
    expect(Array.from(alawDecode(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a, 0xd4, 0x54)))).toEqual([8, -8, 32256, -32256, 24, -24]);
  });

  it('matches an independent decoder for all 256 codes', () => {
    const decoded = alawDecode(allCodes);
    for (let c = 0; c < 256; c++) expect(decoded[c], `code 0x${c.toString(16)}`).toBe(sunAlawToLinear(c));
    expect(ALAW_TO_LINEAR).toEqual(decoded);
  });

  it('round-trips every code', () => {
    expect(alawEncode(alawDecode(allCodes))).toEqual(allCodes);
  });

  it('encodes known values', () => {
    expect(Array.from(alawEncode(Int16Array.of(0, -1, 32767, -32768, 8, -8)))).toEqual([0xd5, 0x55, 0xaa, 0x2a, 0xd5, 0x55]);
  });

  it('quantizes every 16-bit sample to its nearest level', () => {
    assertNearestLevel(ALAW_TO_LINEAR, alawDecode(alawEncode(allSamples)), 4, 32256);
  });

  it('keeps the SNR of a -10 dBFS tone above 35 dB', () => {
    const tone = sineWave(8000, 1000, 8000, 10362);
    expect(snrDb(tone, alawDecode(alawEncode(tone)))).toBeGreaterThan(35);
  });
});
