import { rmSync } from 'node:fs';
import { NEVER } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsFactory } from '../../src/analytics/call-analytics.js';
import { EMPTY_RULE_SET } from '../../src/analytics/rules/compile.js';
import { VoskAsrEngine } from '../../src/asr/vosk-engine.js';
import { validateConfig } from '../../src/config/load.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { connectRedis } from '../../src/publish/redis-connection.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { CallEngine } from '../../src/session/call-engine.js';
import { buildCallAudio } from '../helpers/call-audio.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { tinyModelDir } from '../helpers/service.js';

// A handler that throws inside the call (here: the redactor on one utterance) costs that event only:
// the call goes on, its summary is written, and the process is not taken down by RxJS rethrowing.
describe('a throwing per-call handler', () => {
  const modelDir = tinyModelDir();
  const prefix = uniquePrefix('session-guard');
  const config = validateConfig({ model: { path: modelDir, autoDownload: false }, redis: { url: TEST_REDIS_URL, prefix }, logging: { level: 'silent' } });
  const metrics = new EngineMetrics({ defaults: false });
  const log = createLogger('silent');
  const redis = connectRedis(config.redis);
  const cleanup = testRedis();
  let asr: VoskAsrEngine;

  beforeAll(async () => {
    asr = await VoskAsrEngine.open({ model: config.model, asr: config.asr, metrics, log });
  });
  afterAll(async () => {
    await asr.close();
    redis.disconnect();
    await deletePrefix(cleanup, prefix);
    cleanup.disconnect();
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('skips the event, keeps the call and writes its summary', async () => {
    const engine = new CallEngine({
      config,
      asr,
      publisher: new RedisCallPublisher(redis, config.redis, metrics, log, 60_000),
      metrics,
      log,
      analyticsForCall: createAnalyticsFactory({ keywords: [], analytics: config.analytics, rules: () => EMPTY_RULE_SET }),
      redactorForCall: () => ({
        push: (event: TranscriptEvent, emit: (event: TranscriptEvent) => void) => {
          if (event.text.includes('refund')) throw new Error('redactor bug');
          emit(event);
        },
        flush: () => {},
      }),
    });
    const call = buildCallAudio(
      [
        { party: 'customer', atMs: 300, text: 'refund' },
        { party: 'customer', atMs: 2500, text: 'cancel account' },
      ],
      { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const session = engine.openCall({
      callId: 'guard-1',
      protocol: 'stream',
      format: { encoding: 'mulaw', sampleRate: 8000, channels: 1 },
      parties: ['customer'],
      language: 'en',
      metadata: {},
    });
    session.pushAudio(call.bytes);
    const summary = await session.stop('stop');
    expect(summary.transcript.map((t) => t.text)).toEqual(['cancel account']);
    expect(JSON.parse((await cleanup.get(`${prefix}:call:{guard-1}:summary`))!)).toMatchObject({ callId: 'guard-1', endReason: 'stop' });
    const failures = (await metrics.analyticsErrors.get()).values.find((v) => v.labels.detector === 'session:transcript');
    expect(failures?.value).toBeGreaterThanOrEqual(1);
  });

  it("a call's end waits for stuck analytics at most limits.finishTimeoutMs, then sends the summary", async () => {
    const finishTimeoutMs = 2000;
    const engine = new CallEngine({
      config: { ...config, limits: { ...config.limits, finishTimeoutMs } },
      asr,
      publisher: new RedisCallPublisher(redis, config.redis, metrics, log, 60_000),
      metrics,
      log,
      analyticsForCall: () => () => NEVER, // a detector that never completes
      redactorForCall: () => ({ push: (event: TranscriptEvent, emit: (event: TranscriptEvent) => void) => emit(event), flush: () => {} }),
    });
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'cancel account' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const session = engine.openCall({
      callId: 'guard-stuck',
      protocol: 'stream',
      format: { encoding: 'mulaw', sampleRate: 8000, channels: 1 },
      parties: ['customer'],
      language: 'en',
      metadata: {},
    });
    session.pushAudio(call.bytes);
    const summary = await session.stop('stop');
    expect(summary).toMatchObject({ callId: 'guard-stuck', endReason: 'stop' });
    expect(engine.activeCalls).toBe(0);
    const stuck = (await metrics.analyticsErrors.get()).values.find((v) => v.labels.detector === 'session:analytics_finish_timeout');
    expect(stuck?.value).toBe(1);
  });
});
