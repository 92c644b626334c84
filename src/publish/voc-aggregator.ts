import type { RuleSetSnapshot } from '../analytics/rules/compile.js';
import type { DriverResult } from '../analytics/voc/recognize.js';
import type { VocOptions } from '../analytics/voc/options.js';
import type { Taxonomy } from '../analytics/voc/schema.js';
import type { Config } from '../config/schema.js';
import type { CallSummary, DriverRef } from '../events/schema.js';
import type { DriverCallEntry } from '../events/voc-wire.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { CallAggregator } from './redis-publisher.js';
import type { RedisClient } from './redis-connection.js';
import { floorTo, HOUR_MS, VocKeys } from './voc-keys.js';

/** `<p>:{voc}:taxonomy`: the drivers and taxonomy in force, so readers (voc drivers, the console) need no rule files. */
export interface TaxonomyDoc {
  version: number;
  drivers: Array<Pick<DriverRef, 'id' | 'name' | 'priority' | 'department' | 'dimensions'>>;
  taxonomy?: Taxonomy;
}

export function taxonomyDoc(rules: RuleSetSnapshot): TaxonomyDoc {
  return {
    version: rules.version,
    drivers: rules.drivers.map((d) => ({ id: d.id, name: d.name, priority: d.priority, department: d.dimensions.department, dimensions: d.dimensions })),
    ...(rules.taxonomy ? { taxonomy: rules.taxonomy } : {}),
  };
}

/** The count fields one ended call adds (see VocKeys): volume, primary driver, its dimensions, categories. */
export function callCountFields(summary: Pick<CallSummary, 'analytics'>): { fields: string[]; drivers?: DriverResult; categories: string[] } {
  const drivers = summary.analytics.drivers as DriverResult | undefined;
  const matched = (summary.analytics.categories as { matched?: Array<{ name: string }> } | undefined)?.matched ?? [];
  const categories = matched.map((c) => c.name);
  const fields = ['calls'];
  if (drivers) {
    fields.push(`driver:${drivers.primary.id}`);
    for (const [dim, value] of Object.entries(drivers.primary.dimensions)) if (value) fields.push(`${dim}:${value}`);
  }
  for (const c of categories) fields.push(`category:${c}`);
  return { fields, ...(drivers ? { drivers } : {}), categories };
}

/**
 * Counts each ended call across calls and instances: bucket and hour counters (HINCRBY, so several
 * engines add up), example call lists, and the department stream entry, all in ONE MULTI (one round
 * trip per call; every key in the `{voc}` slot, each with a TTL or cap).
 */
export class VocAggregator implements CallAggregator {
  private readonly keys: VocKeys;
  private taxonomyVersion: number | undefined;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly options: Pick<VocOptions, 'bucketMs' | 'bucketRetentionMs' | 'hourRetentionMs' | 'departmentStreamMaxLen'> & { exampleCalls: number },
    private readonly rules: () => RuleSetSnapshot,
    private readonly metrics: EngineMetrics,
  ) {
    this.keys = new VocKeys(prefix);
  }

  async record(summary: CallSummary): Promise<void> {
    const endedMs = Date.parse(summary.endedAt);
    const { fields, drivers, categories } = callCountFields(summary);
    const { bucketMs, bucketRetentionMs, hourRetentionMs } = this.options;
    const bucket = this.keys.bucket(floorTo(endedMs, bucketMs));
    const hour = this.keys.hour(floorTo(endedMs, HOUR_MS));
    const multi = this.redis.multi();
    for (const f of fields) multi.hincrby(bucket, f, 1).hincrby(hour, f, 1);
    multi.pexpire(bucket, bucketRetentionMs).pexpire(hour, hourRetentionMs);
    const examples = Math.max(20, this.options.exampleCalls * 4);
    for (const series of fields.filter((f) => f.startsWith('driver:') || f.startsWith('department:') || f.startsWith('category:'))) {
      const list = this.keys.examples(series);
      multi.lpush(list, `${endedMs}|${summary.callId}`).ltrim(list, 0, examples - 1).pexpire(list, bucketRetentionMs);
    }
    const department = drivers?.primary.department;
    if (drivers && department) {
      const entry: Omit<DriverCallEntry, 'primary' | 'secondary'> & Pick<DriverResult, 'primary' | 'secondary'> = {
        type: 'driver_call',
        v: 1,
        callId: summary.callId,
        primary: drivers.primary,
        secondary: drivers.secondary,
        categories,
        endedAt: summary.endedAt,
        durationMs: summary.durationMs,
      };
      const stream = this.keys.department(department);
      multi.xadd(stream, 'MAXLEN', '~', this.options.departmentStreamMaxLen, '*', 'event', JSON.stringify(entry)).pexpire(stream, hourRetentionMs);
    }
    const rules = this.rules();
    if (rules.version !== this.taxonomyVersion) multi.set(this.keys.taxonomy(), JSON.stringify(taxonomyDoc(rules)), 'PX', hourRetentionMs);
    const results = await multi.exec();
    if (!results) throw new Error('redis transaction aborted');
    for (const [err] of results) if (err) throw err;
    this.taxonomyVersion = rules.version;
    if (drivers) this.metrics.driverCalls.inc({ department: department ?? 'none', driver: drivers.primary.id });
  }
}

/** The configured aggregator, or undefined with `voc.enabled: false` (the service and `voc replay --redis`). */
export function configuredAggregator(redis: RedisClient, config: Pick<Config, 'voc' | 'redis'>, rules: () => RuleSetSnapshot, metrics: EngineMetrics): VocAggregator | undefined {
  return config.voc.enabled ? new VocAggregator(redis, config.redis.prefix, { ...config.voc, exampleCalls: config.voc.spikes.exampleCalls }, rules, metrics) : undefined;
}
