import { describe, it, expect } from 'vitest';
import { int16ToPcm16le, pcm16leToInt16 } from '../../src/audio/pcm16.js';
import { deinterleave } from '../../src/audio/deinterleave.js';
import { inputError } from '../helpers/errors.js';

describe('pcm16', () => {
  it('writes little-endian bytes', () => {
    expect(Array.from(int16ToPcm16le(Int16Array.of(0x1234, -2, 32767, -32768)))).toEqual([0x34, 0x12, 0xfe, 0xff, 0xff, 0x7f, 0x00, 0x80]);
  });

  it('reads little-endian bytes', () => {
    expect(Array.from(pcm16leToInt16(Uint8Array.of(0x34, 0x12, 0xfe, 0xff, 0x00, 0x80)))).toEqual([0x1234, -2, -32768]);
  });

  it('round-trips every value, aligned or not', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const bytes = int16ToPcm16le(all);
    expect(pcm16leToInt16(bytes)).toEqual(all);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const unaligned = shifted.subarray(1);
    expect(unaligned.byteOffset % 2).toBe(1);
    expect(pcm16leToInt16(unaligned)).toEqual(all);
  });

  it('views aligned input without copying', () => {
    const bytes = int16ToPcm16le(Int16Array.of(1, 2, 3));
    const samples = pcm16leToInt16(bytes);
    expect(samples.buffer).toBe(bytes.buffer);
  });

  it('never shares memory with the samples it encodes', () => {
    const samples = Int16Array.of(1, 2);
    const bytes = int16ToPcm16le(samples);
    samples[0] = 99;
    expect(bytes[0]).toBe(1);
  });

  it('rejects half a sample with bad_frame_size', () => {
    expect(inputError(() => pcm16leToInt16(new Uint8Array(5))).code).toBe('bad_frame_size');
  });
});

describe('deinterleave', () => {
  it('splits channels in order', () => {
    const parts = deinterleave(Int16Array.of(1, 10, 100, 2, 20, 200), 3);
    expect(parts.map((p) => Array.from(p))).toEqual([
      [1, 2],
      [10, 20],
      [100, 200],
    ]);
  });

  it('returns mono input as is', () => {
    const mono = Int16Array.of(1, 2, 3);
    expect(deinterleave(mono, 1)[0]).toBe(mono);
  });

  it('rejects a partial frame with bad_frame_size and a bad channel count with RangeError', () => {
    expect(inputError(() => deinterleave(new Int16Array(5), 2)).code).toBe('bad_frame_size');
    expect(() => deinterleave(new Int16Array(4), 0)).toThrow(RangeError);
  });
});
