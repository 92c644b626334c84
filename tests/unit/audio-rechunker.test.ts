import { describe, it, expect } from 'vitest';
import { Rechunker } from '../../src/audio/rechunker.js';

describe('Rechunker', () => {
  it('turns random chunks into exact frames with nothing lost or reordered', () => {
    const total = 10_007;
    const input = Int16Array.from({ length: total }, (_, i) => (i * 7919) % 65536 - 32768);
    const rechunker = new Rechunker(1600);
    const frames: Int16Array[] = [];
    let seed = 12345;
    for (let i = 0; i < total; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const size = Math.min(total - i, seed % 4000);
      frames.push(...rechunker.push(input.subarray(i, i + size)));
      i += size;
    }
    expect(frames.every((f) => f.length === 1600)).toBe(true);
    expect(rechunker.pendingSamples).toBe(total % 1600);
    const last = rechunker.flush();
    expect(last?.length).toBe(total % 1600);
    const joined = new Int16Array(total);
    let offset = 0;
    for (const f of [...frames, last!]) {
      joined.set(f, offset);
      offset += f.length;
    }
    expect(joined).toEqual(input);
  });

  it('gives frames that do not depend on the pushed arrays afterwards', () => {
    const rechunker = new Rechunker(4);
    const chunk = Int16Array.of(1, 2, 3, 4, 5, 6);
    const [frame] = rechunker.push(chunk);
    chunk.fill(0);
    const [next] = rechunker.push(Int16Array.of(7, 8));
    expect(Array.from(frame!)).toEqual([1, 2, 3, 4]);
    expect(Array.from(next!)).toEqual([5, 6, 7, 8]);
  });

  it('flushes nothing when empty, and is empty after a flush', () => {
    const rechunker = new Rechunker(3);
    expect(rechunker.flush()).toBeUndefined();
    rechunker.push(Int16Array.of(1));
    expect(Array.from(rechunker.flush()!)).toEqual([1]);
    expect(rechunker.flush()).toBeUndefined();
    expect(rechunker.push(new Int16Array(0))).toEqual([]);
  });

  it('refuses a frame size that is not a positive integer', () => {
    expect(() => new Rechunker(0)).toThrow(RangeError);
    expect(() => new Rechunker(1.5)).toThrow(RangeError);
  });
});
