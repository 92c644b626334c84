import { describe, expect, test } from 'vitest';
import { StreamTimeline } from '../../src/asr/stream-timeline.js';
import { workerCount } from '../../src/asr/worker/pool.js';

describe('ASR worker count', () => {
  test('asr.workers, 0 meaning one per core', () => {
    expect(workerCount(0, 8)).toBe(8);
    expect(workerCount(3, 8)).toBe(3);
    expect(workerCount(0, 0)).toBe(1);
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
