import { describe, expect, test } from 'vitest';
import { DecodeSlots } from '../../src/asr/decode-slots.js';
import { StreamTimeline } from '../../src/asr/stream-timeline.js';
import { decodeSlotsFor, threadpoolSizeFor, threadpoolSizeOf, withThreadpoolSize } from '../../src/asr/threadpool.js';

describe('threadpool sizing', () => {
  test('workers (0 = cores) plus 4 for fs/dns', () => {
    expect(threadpoolSizeFor({ workers: 0 }, 8)).toBe(12);
    expect(threadpoolSizeFor({ workers: 3 }, 8)).toBe(7);
    expect(threadpoolSizeFor({ workers: 2000 }, 8)).toBe(1024);
  });

  test('reads UV_THREADPOOL_SIZE as libuv does', () => {
    expect(threadpoolSizeOf({})).toBe(4);
    expect(threadpoolSizeOf({ UV_THREADPOOL_SIZE: '12' })).toBe(12);
    expect(threadpoolSizeOf({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
  });

  test('decode slots never take the whole pool', () => {
    expect(decodeSlotsFor({ workers: 0 }, 12, 8)).toBe(8);
    expect(decodeSlotsFor({ workers: 0 }, 4, 8)).toBe(3); // pool not raised: one thread kept for fs
    expect(decodeSlotsFor({ workers: 2 }, 1, 8)).toBe(1);
  });

  test('withThreadpoolSize raises, never lowers', () => {
    expect(withThreadpoolSize({ workers: 4 }, { A: '1' })).toEqual({ A: '1', UV_THREADPOOL_SIZE: '8' });
    const big = { UV_THREADPOOL_SIZE: '64' };
    expect(withThreadpoolSize({ workers: 4 }, big)).toBe(big);
  });
});

describe('DecodeSlots', () => {
  test('runs at most `limit` tasks at once, first come first served', async () => {
    const slots = new DecodeSlots(2);
    const order: string[] = [];
    let peak = 0;
    const task = (name: string, ms: number) =>
      slots.run(async () => {
        peak = Math.max(peak, slots.inFlight);
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`end ${name}`);
      });
    await Promise.all([task('a', 30), task('b', 10), task('c', 5), task('d', 5)]);
    expect(peak).toBe(2);
    expect(order.slice(0, 2)).toEqual(['start a', 'start b']);
    expect(order.indexOf('start c')).toBeGreaterThan(order.indexOf('end b'));
    expect(order.indexOf('start c')).toBeLessThan(order.indexOf('start d'));
    expect(slots.inFlight).toBe(0);
  });

  test('a failing task releases its slot', async () => {
    const slots = new DecodeSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('StreamTimeline', () => {
  test('recognizer times after a drop shift by the dropped audio', () => {
    const t = new StreamTimeline(16000);
    expect(t.toStreamMs(500)).toBe(500);
    t.addGap(16000, 32000); // 2 s dropped after 1 s accepted
    t.addGap(16000, 8000); // the same episode continues: 2.5 s in all
    t.addGap(48000, 16000); // a second episode after 3 s accepted
    expect(t.droppedSamples).toBe(56000);
    expect(t.toStreamMs(999)).toBe(999);
    expect(t.toStreamMs(1000, 'start')).toBe(3500);
    expect(t.toStreamMs(1000, 'end')).toBe(1000);
    expect(t.toStreamMs(2000)).toBe(4500);
    expect(t.toStreamMs(3100)).toBe(6600);
  });
});
