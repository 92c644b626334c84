import type { RuleSetSnapshot } from '../analytics/rules/compile.js';
import type { VocOptions } from '../analytics/voc/options.js';
import { assessSeries, chooseBaseline, seriesKind, seriesToAssess, stepEpisodes, type Assessment, type Episode } from '../analytics/voc/spike-detect.js';
import type { SeriesRef, SpikeEndEvent, SpikeEvent, SpikeUpdateEvent } from '../events/voc-wire.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { within } from '../within.js';
import type { RedisClient } from './redis-connection.js';
import { floorTo, HOUR_MS, VocKeys } from './voc-keys.js';
import { VocReader, type SpikeRecord } from './voc-reader.js';

/** How long stop() waits for a running check and the lease release. */
const STOP_WAIT_MS = 1000;

const DAY_MS = 24 * HOUR_MS;

/** Renews the lease only while this instance holds it. */
const RENEW_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface SpikeMonitorDeps {
  redis: RedisClient;
  prefix: string;
  options: VocOptions;
  /** This instance's name (the lease value). */
  instance: string;
  /** The rules in force: driver names and departments of the series. */
  rules: () => RuleSetSnapshot;
  metrics: EngineMetrics;
  log: Logger;
  /** Wall clock, ms (an accelerated one in simulations). */
  now?: () => number;
}

export type TickResult = 'disabled' | 'not_leader' | 'up_to_date' | 'evaluated';

/**
 * Watches the bucket counts for spikes (the detection itself is the pure src/analytics/voc/spike-detect.ts).
 * Every instance runs one; only the holder of the Redis lease evaluates, once per completed bucket,
 * so a spike is raised once however many engines count. Active episodes are kept in Redis, so a
 * restart (or another instance taking over) resumes them instead of raising them again.
 */
export class SpikeMonitor {
  private readonly keys: VocKeys;
  private readonly reader: VocReader;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  /** The last tick failed: the next failure is not logged again (a Redis outage fails every tick). */
  private failing = false;

  constructor(private readonly deps: SpikeMonitorDeps) {
    this.keys = new VocKeys(deps.prefix);
    this.reader = new VocReader(deps.redis, deps.prefix, deps.options.bucketMs);
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.timer || !this.deps.options.spikes.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.deps.options.spikes.evaluateIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and hands the lease back, so another instance takes over at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Bounded: with Redis down these would wait for it (the lease then simply expires).
    await within(this.running, STOP_WAIT_MS);
    await within(this.deps.redis.eval(RELEASE_LEASE, 1, this.keys.lease(), this.deps.instance), STOP_WAIT_MS);
  }

  /** One check: take or renew the lease, then evaluate every completed bucket not evaluated yet. Never throws. */
  tick(): Promise<TickResult> {
    this.running ??= this.runTick()
      .then((result) => {
        if (this.failing) this.deps.log.info({}, 'spike evaluation works again');
        this.failing = false;
        return result;
      })
      .catch((err: unknown) => {
        this.deps.metrics.redisPublishFailures.inc({ operation: 'voc_spikes' });
        // Once per run of failures (a Redis outage fails every tick): the metric counts each one.
        if (!this.failing) this.deps.log.error({ err }, 'spike evaluation failed; retrying every evaluateIntervalMs, logged again once it works');
        this.failing = true;
        return 'up_to_date' as const;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async runTick(): Promise<TickResult> {
    const { options } = this.deps;
    if (!options.spikes.enabled) return 'disabled';
    if (!(await this.holdLease())) return 'not_leader';
    const last = floorTo(this.now(), options.bucketMs) - options.bucketMs; // the latest completed bucket
    const done = Number((await this.deps.redis.get(this.keys.evaluated())) ?? Number.NEGATIVE_INFINITY);
    if (done >= last) return 'up_to_date';
    // After a pause, catch up on a few buckets (older ones are history by now).
    const first = Math.max(Number.isFinite(done) ? done + options.bucketMs : last, last - 10 * options.bucketMs);
    for (let bucket = first; bucket <= last; bucket += options.bucketMs) await this.evaluate(bucket);
    return 'evaluated';
  }

  private async holdLease(): Promise<boolean> {
    const { redis, instance, options } = this.deps;
    const taken = await redis.set(this.keys.lease(), instance, 'PX', options.spikes.leaseMs, 'NX');
    if (taken === 'OK') return true;
    return Number(await redis.eval(RENEW_LEASE, 1, this.keys.lease(), instance, options.spikes.leaseMs)) === 1;
  }

  /** Evaluates the window ending with `bucketStart`'s bucket. */
  async evaluate(bucketStart: number): Promise<{ raised: SpikeEvent[]; ended: SpikeEndEvent[] }> {
    const { options, redis } = this.deps;
    const { bucketMs, spikes } = options;
    const windowStart = bucketStart - (spikes.windowBuckets - 1) * bucketMs;
    const windowEnd = bucketStart + bucketMs;
    const seasonal = Array.from({ length: spikes.seasonDays }, (_, i): [number, number] => {
      const hour = floorTo(windowStart - (i + 1) * DAY_MS, HOUR_MS);
      return [hour, hour + HOUR_MS];
    });
    const [counts, episodesHash] = await Promise.all([
      this.reader.countRanges([[windowStart, windowEnd], [windowStart - spikes.baselineBuckets * bucketMs, windowStart], ...seasonal]),
      redis.hgetall(this.keys.episodes()),
    ]);
    const [window, trailing, ...days] = counts;
    const active = new Map<string, Episode>();
    for (const [series, json] of Object.entries(episodesHash)) {
      try {
        active.set(series, JSON.parse(json) as Episode);
      } catch {
        // a damaged entry is dropped; the series may be raised again
      }
    }
    const baseline = chooseBaseline(days, trailing!, spikes);
    const assessments: Assessment[] = baseline ? seriesToAssess(window!, baseline.counts, active.keys()).map((s) => assessSeries(s, window!, baseline.counts, spikes)) : [];
    const nowMs = this.now();
    const step = stepEpisodes(active, assessments, nowMs, spikes, (series) => spikeId(series, windowStart));

    const rules = this.deps.rules();
    const raised: SpikeEvent[] = [];
    const ended: SpikeEndEvent[] = [];
    const multi = redis.multi();
    const retention = options.hourRetentionMs;
    for (const { episode, assessment } of step.raised) {
      const ref = seriesRef(episode.series, rules);
      const examples = await this.examples(episode.series, windowStart, spikes.exampleCalls);
      const event: SpikeEvent = {
        type: 'spike',
        v: 1,
        id: episode.id,
        series: ref,
        windowStart: new Date(windowStart).toISOString(),
        windowMs: windowEnd - windowStart,
        bucketMs,
        observed: assessment.observed,
        expected: round(assessment.expected),
        volume: assessment.volume,
        currentRate: round(assessment.volume > 0 ? assessment.observed / assessment.volume : 0),
        expectedRate: round(assessment.expectedRate),
        pValue: assessment.pValue,
        baseline: baseline!.kind,
        exampleCallIds: examples,
        raisedAt: new Date(nowMs).toISOString(),
      };
      raised.push(event);
      const departments = spikeDepartments(ref, rules);
      const key = this.keys.spike(event.id);
      multi
        .hset(key, { spike: JSON.stringify(event), status: 'open', active: '1', departments: JSON.stringify(departments) })
        .pexpire(key, retention)
        .zadd(this.keys.spikes(), nowMs, event.id)
        .zremrangebyrank(this.keys.spikes(), 0, -options.spikeHistoryMax - 1)
        .pexpire(this.keys.spikes(), retention)
        .publish(this.keys.spikesChannel(), JSON.stringify(event));
      for (const d of departments) this.toDepartment(multi, d, event);
      this.deps.metrics.spikes.inc({ kind: ref.kind, department: ref.department ?? 'none' });
      this.deps.log.warn({ spike: event.id, series: episode.series, observed: event.observed, expected: event.expected, pValue: event.pValue }, 'spike raised');
    }
    for (const episode of step.ended) {
      const ref = seriesRef(episode.series, rules);
      const event: SpikeEndEvent = { type: 'spike_end', v: 1, id: episode.id, series: ref, raisedAt: new Date(episode.raisedAtMs).toISOString(), endedAt: new Date(nowMs).toISOString(), peakObserved: episode.peakObserved };
      ended.push(event);
      multi.hset(this.keys.spike(episode.id), { active: '0', end: JSON.stringify(event) }).hdel(this.keys.episodes(), episode.series).publish(this.keys.spikesChannel(), JSON.stringify(event));
      for (const d of spikeDepartments(ref, rules)) this.toDepartment(multi, d, event);
      this.deps.log.info({ spike: episode.id, series: episode.series }, 'spike ended');
    }
    for (const [series, episode] of step.active) multi.hset(this.keys.episodes(), series, JSON.stringify(episode));
    multi.pexpire(this.keys.episodes(), retention).set(this.keys.evaluated(), String(bucketStart), 'PX', retention);
    const results = await multi.exec();
    if (!results) throw new Error('redis transaction aborted');
    for (const [err] of results) if (err) throw err;
    return { raised, ended };
  }

  private toDepartment(multi: ReturnType<RedisClient['multi']>, department: string, event: SpikeEvent | SpikeEndEvent): void {
    const stream = this.keys.department(department);
    multi.xadd(stream, 'MAXLEN', '~', this.deps.options.departmentStreamMaxLen, '*', 'event', JSON.stringify(event)).pexpire(stream, this.deps.options.hourRetentionMs);
  }

  private async examples(series: string, sinceMs: number, n: number): Promise<string[]> {
    if (n === 0) return [];
    const entries = await this.deps.redis.lrange(this.keys.examples(series), 0, -1);
    const out: string[] = [];
    for (const entry of entries) {
      const bar = entry.indexOf('|');
      if (Number(entry.slice(0, bar)) >= sinceMs && !out.includes(entry.slice(bar + 1))) out.push(entry.slice(bar + 1));
      if (out.length >= n) break;
    }
    return out;
  }
}

/** `202611301400-driver-roaming`: the window's start (UTC minute) and the series; typeable in `voc spikes`. */
export function spikeId(series: string, windowStartMs: number): string {
  const stamp = new Date(windowStartMs).toISOString().slice(0, 16).replace(/[-:T]/g, '');
  return `${stamp}-${series.replace(':', '-')}`;
}

/** What a series field is, with display names and owner from the rules in force. */
export function seriesRef(series: string, rules: RuleSetSnapshot): SeriesRef {
  const kind = seriesKind(series) ?? 'category';
  const id = series.slice(series.indexOf(':') + 1);
  if (kind === 'driver') {
    const d = rules.drivers.find((x) => x.id === id);
    return { kind, id, ...(d ? { name: d.name, department: d.dimensions.department } : {}) };
  }
  if (kind === 'department') {
    const name = rules.taxonomy?.department[id];
    return { kind, id, ...(name ? { name } : {}), department: id };
  }
  return { kind, id };
}

/** The department streams a spike goes to: the owner; for a category, the owners of drivers recognized by it. */
export function spikeDepartments(ref: SeriesRef, rules: RuleSetSnapshot): string[] {
  if (ref.department) return [ref.department];
  if (ref.kind !== 'category') return [];
  return [...new Set(rules.drivers.filter((d) => d.category === ref.id).map((d) => d.dimensions.department))];
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * `voc spikes ack|resolve`: records who did what and when on the spike, tells pub/sub and the
 * spike's department streams. Throws when the spike is unknown.
 */
export async function updateSpike(
  redis: RedisClient,
  prefix: string,
  bucketMs: number,
  update: { id: string; action: 'ack' | 'resolve'; by: string; note: string; at: Date; departmentStreamMaxLen: number; retentionMs: number },
): Promise<SpikeRecord> {
  const keys = new VocKeys(prefix);
  const reader = new VocReader(redis, prefix, bucketMs);
  const record = await reader.spike(update.id);
  if (!record) throw new SpikeNotFoundError(update.id);
  const at = update.at.toISOString();
  const fields =
    update.action === 'ack'
      ? { status: record.status === 'resolved' ? 'resolved' : 'acknowledged', ackedBy: update.by, ackedAt: at, ackNote: update.note }
      : { status: 'resolved', resolvedBy: update.by, resolvedAt: at, resolveNote: update.note };
  const event: SpikeUpdateEvent = { type: 'spike_update', v: 1, id: update.id, series: record.spike.series, action: update.action, by: update.by, note: update.note, at };
  const departments = JSON.parse((await redis.hget(keys.spike(update.id), 'departments')) ?? '[]') as string[];
  const multi = redis.multi().hset(keys.spike(update.id), fields).publish(keys.spikesChannel(), JSON.stringify(event));
  for (const d of departments) {
    multi.xadd(keys.department(d), 'MAXLEN', '~', update.departmentStreamMaxLen, '*', 'event', JSON.stringify(event)).pexpire(keys.department(d), update.retentionMs);
  }
  const results = await multi.exec();
  for (const [err] of results ?? []) if (err) throw err;
  return (await reader.spike(update.id))!;
}

export class SpikeNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no spike ${id}`);
    this.name = 'SpikeNotFoundError';
  }
}
