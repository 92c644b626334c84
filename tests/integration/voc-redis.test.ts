import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { vocOptionsSchema } from '../../src/analytics/voc/options.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { VocAggregator } from '../../src/publish/voc-aggregator.js';
import { HOUR_MS, VocKeys } from '../../src/publish/voc-keys.js';
import { DepartmentStreamReader, VocReader } from '../../src/publish/voc-reader.js';
import { SpikeMonitor, updateSpike } from '../../src/publish/voc-spikes.js';
import { memoryLogger } from '../helpers/asr.js';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.js';
import { summaryWithDriver, toneDriverRules } from '../helpers/voc.js';

const BUCKET = 60_000;
const T0 = Date.UTC(2026, 0, 5, 8, 0); // a Monday 08:00 UTC
const options = vocOptionsSchema.parse({ bucketMs: BUCKET, spikes: { baselineBuckets: 30, minBaselineCalls: 50 } });
const rules = toneDriverRules();

describe('cross-call aggregation, spikes, lease and follow-up on real Redis', () => {
  const redis = testRedis();
  const other = testRedis();
  const prefix = uniquePrefix('voc');
  const keys = new VocKeys(prefix);
  const metrics = new EngineMetrics({ defaults: false });
  const aggregator = new VocAggregator(redis, prefix, { ...options, exampleCalls: 5 }, () => rules, metrics);
  let clock = T0;
  const monitor = (name: string, client = redis) => new SpikeMonitor({ redis: client, prefix, options, instance: name, rules: () => rules, metrics, log: memoryLogger().log, now: () => clock });
  let n = 0;

  /** One bucket of calls: `perWord` calls of each word, ending inside the bucket. */
  async function bucket(start: number, perWord: Record<string, number>): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const [word, count] of Object.entries(perWord)) {
      for (let i = 0; i < count; i++) writes.push(aggregator.record(summaryWithDriver(rules, `call-${n++}`, word === 'none' ? undefined : word, start + 1000 + i * 100)));
    }
    await Promise.all(writes);
  }

  const steady = { refund: 12, balance: 18, cancel: 9, account: 9, none: 12 };

  beforeAll(async () => {
    for (let b = 0; b < 40; b++) await bucket(T0 + b * BUCKET, steady);
  });
  afterEach(() => undefined);
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
    other.disconnect();
  });

  it('counts every call once per bucket and hour, with the volume, and bounds every key', async () => {
    const reader = new VocReader(redis, prefix, BUCKET);
    const b0 = await reader.counts(T0, T0 + BUCKET);
    expect(b0).toEqual({ calls: 60, 'driver:refund': 12, 'driver:balance': 18, 'driver:cancel': 9, 'driver:account': 9, 'driver:unclassified': 12, 'department:billing': 30, 'department:retention': 9, 'department:support': 9, 'businessType:mobile': 30, 'businessType:broadband': 9, 'system:billing': 30, 'system:crm': 9 });
    const all = await reader.counts(T0, T0 + 40 * BUCKET);
    expect(all.calls).toBe(2400);
    expect(await redis.hget(keys.hour(T0), 'calls')).toBe('2400');
    // No key without a TTL (lists and streams are capped too).
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    expect(found.length).toBeGreaterThan(40);
    for (const key of found) expect(await redis.pttl(key), key).toBeGreaterThan(0);
    expect(await redis.llen(keys.examples('driver:refund'))).toBe(20);
  });

  it('raises a tripled driver once across two instances, survives a restart, ends the episode', async () => {
    const a = monitor('instance-a');
    const b = monitor('instance-b', other);
    const channel = testRedis();
    const seen: string[] = [];
    await channel.subscribe(keys.spikesChannel());
    channel.on('message', (_ch, msg: string) => seen.push((JSON.parse(msg) as { type: string }).type));

    // Steady history evaluated (nothing raised), then refund triples from bucket 40.
    clock = T0 + 40 * BUCKET + 500;
    expect(await a.tick()).toBe('evaluated');
    expect(await b.tick()).toBe('not_leader');
    for (let k = 40; k < 44; k++) {
      await bucket(T0 + k * BUCKET, { ...steady, refund: 36 });
      clock = T0 + (k + 1) * BUCKET + 500;
      await a.tick();
      await b.tick();
    }
    const reader = new VocReader(redis, prefix, BUCKET);
    const spikes = await reader.spikes();
    expect(spikes.map((s) => s.spike.series.id)).toEqual(['refund']);
    const [spike] = spikes;
    expect(spike!.spike).toMatchObject({ series: { kind: 'driver', id: 'refund', name: '退款', department: 'billing' }, baseline: 'trailing' });
    expect(Date.parse(spike!.spike.raisedAt) - (T0 + 40 * BUCKET)).toBeLessThanOrEqual(2 * BUCKET + 500); // within 2 buckets
    expect(spike!.spike.observed).toBeGreaterThan(2 * spike!.spike.expected);
    expect(spike!.spike.exampleCallIds.length).toBe(5);
    expect(spike!.active).toBe(true);

    // A restart (instance a goes away, b takes over) does not raise the known episode again.
    await a.stop();
    await bucket(T0 + 44 * BUCKET, { ...steady, refund: 36 });
    clock = T0 + 45 * BUCKET + 500;
    expect(await b.tick()).toBe('evaluated');
    expect((await reader.spikes()).length).toBe(1);

    // Back to normal: the episode ends after endAfterBuckets calm windows.
    for (let k = 45; k < 52; k++) {
      await bucket(T0 + k * BUCKET, steady);
      clock = T0 + (k + 1) * BUCKET + 500;
      await b.tick();
    }
    const ended = await reader.spike(spike!.spike.id);
    expect(ended).toMatchObject({ active: false, end: { type: 'spike_end', peakObserved: expect.any(Number) } });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['spike', 'spike_end']);
    expect(await metrics.registry.getSingleMetricAsString('voc_spikes_total')).toContain('voc_spikes_total{kind="driver",department="billing"} 1');
    await b.stop();
    channel.disconnect();
  });

  it('ack and resolve are recorded, go to the department stream, and give the rate before and after', async () => {
    const reader = new VocReader(redis, prefix, BUCKET);
    const [spike] = await reader.spikes();
    const dept = new DepartmentStreamReader(redis, prefix, 'billing', 'billing-team', 'alice');
    await dept.ensureGroup();
    await updateSpike(redis, prefix, BUCKET, { id: spike!.spike.id, action: 'ack', by: 'li.wei', note: '看到了', at: new Date(T0 + 46 * BUCKET), departmentStreamMaxLen: 1000, retentionMs: HOUR_MS });
    const resolved = await updateSpike(redis, prefix, BUCKET, { id: spike!.spike.id, action: 'resolve', by: 'li.wei', note: 'refund form fixed', at: new Date(T0 + 45 * BUCKET), departmentStreamMaxLen: 1000, retentionMs: HOUR_MS });
    expect(resolved).toMatchObject({ status: 'resolved', ack: { by: 'li.wei', note: '看到了' }, resolve: { by: 'li.wei', note: 'refund form fixed' } });
    expect(await reader.openSpikes()).toEqual([]);
    const rates = await reader.beforeAfter(resolved, T0 + 52 * BUCKET);
    expect(rates!.before.rate).toBeGreaterThan(0.4);
    expect(rates!.after.rate).toBeCloseTo(0.2, 5);

    // Consumer group, at-least-once: entries stay pending until acked.
    const first = await dept.read({ count: 100_000 });
    const types = new Set(first.map((e) => e.entry?.type));
    expect(types).toEqual(new Set(['driver_call', 'spike', 'spike_end', 'spike_update']));
    const billingCalls = first.filter((e) => e.entry?.type === 'driver_call');
    expect(billingCalls.every((e) => e.entry?.type === 'driver_call' && e.entry.primary.department === 'billing')).toBe(true);
    const again = await dept.read({ pending: true, count: 100_000 });
    expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
    await dept.ack(first.map((e) => e.id));
    expect(await dept.read({ pending: true })).toEqual([]);

    // voc drivers over that past hour: the drivers by department, and the resolved spike's rate before and after.
    const env = cliEnv({ VOC_REDIS_URL: TEST_REDIS_URL, VOC_REDIS_PREFIX: prefix, VOC_CONFIG: '/dev/null' });
    const r = await runCli(['drivers', '--period', '1h', '--until', new Date(T0 + 52 * BUCKET).toISOString()], { env, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^billing 计费部: \d+ calls$/m);
    expect(r.stdout).toMatch(/^ {2}refund +退款 /m);
    expect(r.stdout).toContain('Open spikes: 0');
    expect(r.stdout).toContain('Resolved in this period: 1');
    expect(r.stdout).toMatch(/rate before the resolve (\d+\.\d)% \(\d+\/\d+\), after 20\.0% \(\d+\/\d+\)/);
  }, 180_000);
});
