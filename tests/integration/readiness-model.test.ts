import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeSample } from '../../src/asr/capacity.js';
import { libvosk } from '../../src/asr/libvosk.js';
import { AsrWorkerPool } from '../../src/asr/worker/pool.js';
import { memoryLogger, MODEL_RATE, tempTinyModel } from '../helpers/asr.js';
import { useLiveService } from '../helpers/live-service.js';

// Issue 13: "/readyz reports model: true without checking". Readiness now creates and frees a
// recognizer on every ASR worker (off the main thread, time-boxed, cached briefly).

async function readyz(httpUrl: string): Promise<{ status: number; body: { ready: boolean; checks: Record<string, boolean>; problems?: Record<string, string> } }> {
  const res = await fetch(`${httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean>; problems?: Record<string, string> } };
}

describe('readiness checks that a recognizer can be created (real libvosk)', () => {
  const models: Array<{ dir: string; remove: () => void }> = [];
  afterAll(() => {
    for (const m of models) m.remove();
  });

  /** The check itself, on worker threads holding `modelDir` loaded (as the engine holds its model). */
  async function check(modelDir: string): Promise<{ ok: boolean; problem?: string }> {
    const lib = libvosk();
    lib.setLogLevel(-1);
    const model = lib.modelNew(modelDir);
    expect(model).not.toBe(0);
    const pool = new AsrWorkerPool({ model, sampleRate: MODEL_RATE, partials: false, partialIntervalMs: 200, partialWords: false, voskLogLevel: -1 }, 2, memoryLogger().log);
    try {
      await pool.ready();
      return await pool.checkRecognizers(10_000);
    } finally {
      await pool.close();
      lib.modelFree(model);
    }
  }

  it('a good model passes; a broken one that libvosk still loads (no decoding graph) fails, naming the worker', async () => {
    const good = tempTinyModel();
    models.push(good);
    expect(await check(good.dir)).toEqual({ ok: true });

    // libvosk loads a model without its graph and fails only when a recognizer is made: exactly what
    // "model: true because it loaded at start" never saw.
    const broken = tempTinyModel();
    models.push(broken);
    rmSync(join(broken.dir, 'graph/HCLG.fst'));
    const result = await check(broken.dir);
    expect(result.ok).toBe(false);
    expect(result.problem).toContain('asr worker 0: libvosk could not create a recognizer on the model');
    expect(result.problem).toContain('asr worker 1: libvosk could not create a recognizer on the model');
  });
});

describe('/readyz follows the recognizer check (real service)', () => {
  const live = useLiveService('readiness-model', { asr: { workers: 1, readyCheckCacheMs: 0, readyCheckTimeoutMs: 200, capacityProbeMs: 0 } });

  it('ready while a recognizer can be made; 503 with the reason while the only worker cannot answer; ready again after', async () => {
    const { svc } = live;
    // Redis readiness needs its first PING answered, a few ms after start.
    let before = await readyz(svc.httpUrl);
    for (let i = 0; i < 100 && before.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      before = await readyz(svc.httpUrl);
    }
    expect(before.body).toMatchObject({ checks: { model: true } });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.checks.model).toBe(true);

    // Keep the only worker busy in libvosk for a while (a long decoding probe): it cannot make a
    // recognizer for a call either, so the engine must not say it is ready.
    const one = probeSample(MODEL_RATE);
    const long = new Int16Array(one.length * 40);
    for (let i = 0; i < 40; i++) long.set(one, i * one.length);
    const busy = svc.service.asr.pool.probe(long, 3000);
    const during = await readyz(svc.httpUrl);
    expect(during.status).toBe(503);
    expect(during.body.checks.model).toBe(false);
    expect(during.body.problems?.model).toBe('asr worker 0 did not answer within 200 ms');
    expect(during.body.checks.redis).toBe(true);

    await busy;
    let after = await readyz(svc.httpUrl);
    for (let i = 0; i < 100 && after.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await readyz(svc.httpUrl);
    }
    expect(after.status).toBe(200);
    expect(after.body.problems).toBeUndefined();
  });

  it('results are cached for asr.readyCheckCacheMs: probes in a burst share one check', async () => {
    const engine = live.svc.service.asr;
    const results = await Promise.all(Array.from({ length: 20 }, () => engine.checkModel()));
    expect(results.every((r) => r.ok)).toBe(true);
  });
});
