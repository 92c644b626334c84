import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsOptionsSchema } from '../../src/analytics/options.js';
import { speakPhrase } from '../../src/asr/tiny-model/speak.js';
import { VoskAsrEngine } from '../../src/asr/vosk-engine.js';
import { validateConfig } from '../../src/config/load.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { VocAggregator } from '../../src/publish/voc-aggregator.js';
import { VocKeys } from '../../src/publish/voc-keys.js';
import { VocReader } from '../../src/publish/voc-reader.js';
import { SpikeMonitor } from '../../src/publish/voc-spikes.js';
import type { CallEngine } from '../../src/session/call-engine.js';
import { createConfiguredCallEngine } from '../../src/session/configured-call-engine.js';
import { memoryLogger } from '../helpers/asr.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { tinyModelDir } from '../helpers/service.js';
import { poisson, rng, toneDriverRules } from '../helpers/voc.js';

/**
 * A simulated day of short calls through the real session pipeline (real libvosk on the tiny model,
 * analytics, rules, drivers, the Redis publisher with aggregation, the spike monitor), on an
 * accelerated clock: each call "ends" at its simulated time. Drivers are tiny-model words.
 * Sockets are covered by the /v1/stream end-to-end test; here the engine is driven in-process.
 */

const HOUR = 3_600_000;
const BUCKET = HOUR; // one-hour buckets: a day is 24 buckets
const DAY0 = Date.UTC(2026, 2, 2); // a Monday, 00:00 UTC
const SPIKE_HOUR = 14;
/** Share of calls per word ('hello' calls match no driver: unclassified). */
const MIX: Record<string, number> = { refund: 0.2, balance: 0.25, cancel: 0.15, account: 0.15, hello: 0.25 };
/** Calls an hour: quiet at night, busy in the afternoon (about 1500 a day). */
const volumeAt = (hour: number) => 30 + 50 * Math.max(0, Math.sin((Math.PI * (hour - 6)) / 16));

const rules = toneDriverRules();
const config = validateConfig({
  logging: { level: 'silent' },
  limits: { maxConcurrentCalls: 1000 },
  asr: { workers: 1 },
  voc: {
    bucketMs: BUCKET,
    bucketRetentionMs: 3 * 24 * HOUR,
    spikes: { windowBuckets: 2, baselineBuckets: 6, minBaselineCalls: 150, seasonDays: 1, seasonMinDays: 1 },
  },
});

interface Instance {
  engine: CallEngine;
  monitor: SpikeMonitor;
  metrics: EngineMetrics;
  asr: VoskAsrEngine;
  close(): Promise<void>;
}

describe('simulated day through the real session pipeline (accelerated clock)', () => {
  const modelDir = tinyModelDir();
  const audio = new Map(Object.keys(MIX).map((word) => [word, Buffer.from(speakPhrase(word, { sampleRate: 8000, wordMs: 300 }).buffer)]));
  let clock = DAY0;
  const redisClients: Array<ReturnType<typeof testRedis>> = [];

  async function instance(prefix: string, name: string): Promise<Instance> {
    const redis = testRedis();
    redisClients.push(redis);
    const metrics = new EngineMetrics({ defaults: false });
    const { log } = memoryLogger('warn');
    const asr = await VoskAsrEngine.open({ model: { ...config.model, path: modelDir, autoDownload: false }, asr: config.asr, metrics, log });
    const aggregator = new VocAggregator(redis, prefix, { ...config.voc, exampleCalls: 5 }, () => rules, metrics);
    const publisher = new RedisCallPublisher(redis, { ...config.redis, prefix, retentionMs: 60_000, instance: name }, metrics, log, 60_000, aggregator);
    const engine = createConfiguredCallEngine({ config: { ...config, analytics: analyticsOptionsSchema.parse({}) }, asr, publisher, metrics, log, rules: { current: () => rules }, now: () => new Date(clock) });
    const monitor = new SpikeMonitor({ redis, prefix, options: config.voc, instance: name, rules: () => rules, metrics, log, now: () => clock });
    return { engine, monitor, metrics, asr, close: async () => { await monitor.stop(); await publisher.flush(5000); await asr.close(); } };
  }

  /** Runs one call through an instance: the customer says `word`, then the call stops. */
  async function call(target: Instance, id: string, word: string): Promise<string[]> {
    const session = target.engine.openCall({ callId: id, protocol: 'sim', format: { encoding: 'pcm16', sampleRate: 8000, channels: 1 }, parties: ['customer'], language: 'en', metadata: {} });
    session.pushAudio(audio.get(word)!);
    return (await session.stop()).tags;
  }

  /** A day of calls; with `spikeFrom`, refund calls triple from that hour. Returns the spikes raised. */
  async function simulateDay(seed: number, instances: Instance[], spikeFrom?: number): Promise<{ calls: number; recognized: number; prefixReader: VocReader }> {
    const random = rng(seed);
    let calls = 0;
    let recognized = 0;
    for (let hour = 0; hour < 24; hour++) {
      const start = DAY0 + hour * BUCKET;
      const plan: string[] = [];
      for (const [word, share] of Object.entries(MIX)) {
        const boost = spikeFrom !== undefined && hour >= spikeFrom && word === 'refund' ? 3 : 1;
        for (let i = poisson(random, volumeAt(hour) * share * boost); i > 0; i--) plan.push(word);
      }
      // Calls end spread over the hour, 40 at a time, alternating between the instances.
      for (let i = 0; i < plan.length; i += 40) {
        clock = start + Math.floor((i / plan.length) * (BUCKET - 1000));
        const tags = await Promise.all(plan.slice(i, i + 40).map((word, j) => call(instances[(i + j) % instances.length]!, `s${seed}-${hour}-${i + j}`, word)));
        calls += tags.length;
        recognized += tags.filter((t, j) => t.includes(plan[i + j] === 'hello' ? 'driver:unclassified' : `driver:${plan[i + j]}`)).length;
      }
      // The hour is over: every instance checks for spikes (only the lease holder evaluates).
      clock = start + BUCKET + 1000;
      for (const inst of instances) await inst.monitor.tick();
    }
    return { calls, recognized, prefixReader: undefined as never };
  }

  beforeAll(() => undefined);
  afterAll(async () => {
    for (const r of redisClients) r.disconnect();
    rmSync(modelDir, { recursive: true, force: true });
  });

  it.each([1, 2, 3])('steady Poisson traffic, seed %i: 0 spikes', { timeout: 600_000 }, async (seed) => {
    const prefix = uniquePrefix(`vocday${seed}`);
    const inst = await instance(prefix, 'solo');
    const redis = testRedis();
    try {
      clock = DAY0;
      const { calls, recognized } = await simulateDay(seed, [inst]);
      const reader = new VocReader(redis, prefix, BUCKET);
      const counts = await reader.counts(DAY0, DAY0 + 24 * HOUR);
      expect(counts.calls).toBe(calls); // every call counted once
      expect(recognized).toBe(calls); // the tiny model heard every driver word
      expect(await reader.spikes()).toEqual([]);
      console.log(`[voc simulated day] seed ${seed}: ${calls} calls, ${(await reader.spikes()).length} spikes`);
    } finally {
      await inst.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('refund triples at 14:00: raised within 2 buckets, once, by two engine instances sharing the counts', { timeout: 600_000 }, async () => {
    const prefix = uniquePrefix('vocdayspike');
    const a = await instance(prefix, 'engine-a');
    const b = await instance(prefix, 'engine-b');
    const redis = testRedis();
    const sub = testRedis();
    const published: Array<{ type: string; id: string }> = [];
    await sub.subscribe(new VocKeys(prefix).spikesChannel());
    sub.on('message', (_c, msg: string) => published.push(JSON.parse(msg) as { type: string; id: string }));
    try {
      clock = DAY0;
      const { calls } = await simulateDay(4, [a, b], SPIKE_HOUR);
      const reader = new VocReader(redis, prefix, BUCKET);
      expect((await reader.counts(DAY0, DAY0 + 24 * HOUR)).calls).toBe(calls); // both instances' calls in one count
      const spikes = await reader.spikes();
      expect(spikes.map((s) => `${s.spike.series.kind}:${s.spike.series.id}`)).toEqual(['driver:refund']);
      const spike = spikes[0]!.spike;
      const bucketsAfterStart = (Date.parse(spike.raisedAt) - (DAY0 + SPIKE_HOUR * HOUR)) / BUCKET;
      expect(bucketsAfterStart).toBeLessThanOrEqual(2 + 1000 / BUCKET); // evaluated when the 2nd spiking hour completed, at the latest
      expect(spike.observed).toBeGreaterThan(2 * spike.expected);
      expect(spike.exampleCallIds.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(published.filter((e) => e.type === 'spike')).toHaveLength(1);
      const raisedBy = async (m: EngineMetrics) => (await m.spikes.get()).values.reduce((n, v) => n + v.value, 0);
      expect((await raisedBy(a.metrics)) + (await raisedBy(b.metrics))).toBe(1);
      console.log(`[voc simulated day] spike day: ${calls} calls; refund spike raised ${bucketsAfterStart.toFixed(2)} buckets after 14:00 (observed ${spike.observed}, expected ${spike.expected}, p=${spike.pValue.toExponential(2)})`);
    } finally {
      await a.close();
      await b.close();
      sub.disconnect();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
