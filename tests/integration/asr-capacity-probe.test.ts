import { afterAll, describe, expect, it } from 'vitest';
import { probeSample } from '../../src/asr/capacity.js';
import { libvosk } from '../../src/asr/libvosk.js';
import { AsrWorkerPool } from '../../src/asr/worker/pool.js';
import { memoryLogger, MODEL_RATE, tempTinyModel } from '../helpers/asr.js';

// The capacity probe decodes on every worker at once, so its timing is taken with all of them busy
// (as at capacity) and each worker's code is warm before its first call.

describe('capacity probe', () => {
  const model = tempTinyModel();
  afterAll(() => model.remove());

  async function probeWith(workers: number): Promise<{ decodedMs: number; elapsedMs: number; audioWorkMs: number }> {
    const lib = libvosk();
    lib.setLogLevel(-1);
    const handle = lib.modelNew(model.dir);
    expect(handle).not.toBe(0);
    const pool = new AsrWorkerPool({ model: handle, sampleRate: MODEL_RATE, partials: false, partialIntervalMs: 200, partialWords: false, voskLogLevel: -1 }, workers, memoryLogger().log);
    try {
      await pool.ready();
      return await pool.probe(probeSample(MODEL_RATE), 60_000);
    } finally {
      await pool.close();
      lib.modelFree(handle);
    }
  }

  it('decodes the whole sample on every worker and sums their time', async () => {
    const sampleMs = (probeSample(MODEL_RATE).length * 1000) / MODEL_RATE;
    const one = await probeWith(1);
    const two = await probeWith(2);
    expect(one.decodedMs).toBeCloseTo(sampleMs, 0);
    expect(two.decodedMs).toBeCloseTo(2 * sampleMs, 0);
    for (const result of [one, two]) {
      expect(result.elapsedMs).toBeGreaterThan(0);
      expect(result.audioWorkMs).toBeGreaterThan(0);
    }
  }, 120_000);
});
