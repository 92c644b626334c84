import { z } from 'zod';
import type { Taxonomy } from '../analytics/voc/schema.js';
import { departmentEntrySchema, spikeEndEventSchema, spikeEventSchema, type DepartmentEntry, type SpikeEndEvent, type SpikeEvent } from '../events/voc-wire.js';
import type { RedisClient } from './redis-connection.js';
import type { TaxonomyDoc } from './voc-aggregator.js';
import { floorTo, HOUR_MS, VocKeys } from './voc-keys.js';

/**
 * Reads the cross-call layer back (docs/voc.md): counts over any period, top drivers per department
 * with a trend, spikes. Used by `voc drivers`, `voc spikes` and the console; each call is one
 * pipelined round trip (or two).
 */

export type SpikeStatus = 'open' | 'acknowledged' | 'resolved';

export interface SpikeRecord {
  spike: SpikeEvent;
  status: SpikeStatus;
  /** The episode is still going (the series is still above its expected rate). */
  active: boolean;
  end?: SpikeEndEvent;
  ack?: { by: string; at: string; note: string };
  resolve?: { by: string; at: string; note: string };
}

export interface DriverRow {
  id: string;
  name: string;
  calls: number;
  /** calls / all calls in the period. */
  rate: number;
  /** The same for the period before, for the trend. */
  previousCalls: number;
  previousRate: number;
}

export interface DepartmentDrivers {
  department: string;
  name: string;
  calls: number;
  drivers: DriverRow[];
}

export interface DriversReport {
  fromMs: number;
  toMs: number;
  volume: number;
  previousVolume: number;
  departments: DepartmentDrivers[];
  unclassified: { calls: number; rate: number };
}

const taxonomyDocSchema = z
  .object({
    version: z.number(),
    drivers: z.array(z.object({ id: z.string(), name: z.string(), priority: z.number(), department: z.string().optional() }).loose()),
    taxonomy: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  })
  .loose();

function parseJson<T>(schema: z.ZodType<T>, text: string | undefined | null): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const rateOf = (n: number, volume: number): number => (volume > 0 ? n / volume : 0);

export class VocReader {
  readonly keys: VocKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly bucketMs: number,
  ) {
    this.keys = new VocKeys(prefix);
  }

  async taxonomy(): Promise<TaxonomyDoc | undefined> {
    const doc = parseJson(taxonomyDocSchema, await this.redis.get(this.keys.taxonomy()));
    return doc ? { version: doc.version, drivers: doc.drivers.map((d) => ({ ...d, dimensions: {} })), ...(doc.taxonomy ? { taxonomy: doc.taxonomy as Taxonomy } : {}) } : undefined;
  }

  /** The keys covering [fromMs, toMs): whole hours from the hourly counts, the edges from buckets. */
  rangeKeys(fromMs: number, toMs: number): string[] {
    const keys: string[] = [];
    let t = floorTo(fromMs, this.bucketMs);
    while (t < toMs && keys.length < 100_000) {
      if (t % HOUR_MS === 0 && t + HOUR_MS <= toMs) {
        keys.push(this.keys.hour(t));
        t += HOUR_MS;
      } else {
        keys.push(this.keys.bucket(t));
        t += this.bucketMs;
      }
    }
    return keys;
  }

  /** Summed counts of several ranges, one pipeline for all. */
  async countRanges(ranges: ReadonlyArray<readonly [number, number]>): Promise<Array<Record<string, number>>> {
    const pipeline = this.redis.pipeline();
    const sizes = ranges.map(([from, to]) => {
      const keys = this.rangeKeys(from, to);
      for (const k of keys) pipeline.hgetall(k);
      return keys.length;
    });
    const results = (await pipeline.exec()) ?? [];
    let at = 0;
    return sizes.map((n) => {
      const out: Record<string, number> = {};
      for (const [err, value] of results.slice(at, at + n)) {
        if (err) throw err;
        for (const [field, count] of Object.entries(value as Record<string, string>)) out[field] = (out[field] ?? 0) + Number(count);
      }
      at += n;
      return out;
    });
  }

  async counts(fromMs: number, toMs: number): Promise<Record<string, number>> {
    return (await this.countRanges([[fromMs, toMs]]))[0]!;
  }

  /** Top drivers per department over [nowMs - periodMs, nowMs), with the previous period for the trend. */
  async drivers(options: { nowMs: number; periodMs: number; department?: string; limit?: number }): Promise<DriversReport> {
    const { nowMs, periodMs } = options;
    const fromMs = nowMs - periodMs;
    const [[current, previous], doc] = await Promise.all([this.countRanges([[fromMs, nowMs], [fromMs - periodMs, fromMs]]), this.taxonomy()]);
    const volume = current!.calls ?? 0;
    const previousVolume = previous!.calls ?? 0;
    const known = new Map((doc?.drivers ?? []).map((d) => [d.id, d]));
    const ids = new Set<string>([...known.keys()]);
    for (const field of Object.keys(current!)) if (field.startsWith('driver:')) ids.add(field.slice('driver:'.length));
    ids.delete('unclassified');
    const departments = new Map<string, DepartmentDrivers>();
    for (const id of ids) {
      const meta = known.get(id);
      const department = meta?.department ?? 'none';
      if (options.department !== undefined && department !== options.department) continue;
      const calls = current![`driver:${id}`] ?? 0;
      const previousCalls = previous![`driver:${id}`] ?? 0;
      if (calls === 0 && previousCalls === 0) continue;
      let dep = departments.get(department);
      if (!dep) {
        dep = { department, name: doc?.taxonomy?.department[department] ?? department, calls: current![`department:${department}`] ?? 0, drivers: [] };
        departments.set(department, dep);
      }
      dep.drivers.push({ id, name: meta?.name ?? id, calls, rate: rateOf(calls, volume), previousCalls, previousRate: rateOf(previousCalls, previousVolume) });
    }
    const limit = options.limit ?? 10;
    const list = [...departments.values()].sort((a, b) => b.calls - a.calls || a.department.localeCompare(b.department));
    for (const d of list) d.drivers = d.drivers.sort((a, b) => b.calls - a.calls || a.id.localeCompare(b.id)).slice(0, limit);
    const unclassified = current!['driver:unclassified'] ?? 0;
    return { fromMs, toMs: nowMs, volume, previousVolume, departments: list, unclassified: { calls: unclassified, rate: rateOf(unclassified, volume) } };
  }

  async spike(id: string): Promise<SpikeRecord | undefined> {
    return parseSpike(await this.redis.hgetall(this.keys.spike(id)));
  }

  /** Spikes newest first (the history ZSET), at most `limit`. */
  async spikes(options: { limit?: number } = {}): Promise<SpikeRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.spikes(), 0, (options.limit ?? 100) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.spike(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([err, value]) => {
      if (err) throw err;
      const record = parseSpike(value as Record<string, string>);
      return record ? [record] : [];
    });
  }

  /** Spikes nobody has resolved yet. */
  async openSpikes(options: { limit?: number } = {}): Promise<SpikeRecord[]> {
    return (await this.spikes({ limit: options.limit ?? 1000 })).filter((s) => s.status !== 'resolved');
  }

  /**
   * The spike's series rate before the resolve (from the start of the spike's window) and after it
   * (until `nowMs`): did the fix work?
   */
  async beforeAfter(record: SpikeRecord, nowMs: number): Promise<{ before: { calls: number; volume: number; rate: number }; after: { calls: number; volume: number; rate: number } } | undefined> {
    if (!record.resolve) return undefined;
    const resolvedMs = Date.parse(record.resolve.at);
    const startMs = Date.parse(record.spike.windowStart);
    const field = `${record.spike.series.kind}:${record.spike.series.id}`;
    const [before, after] = await this.countRanges([[startMs, resolvedMs], [resolvedMs, Math.max(resolvedMs, nowMs)]]);
    const side = (c: Record<string, number>) => ({ calls: c[field] ?? 0, volume: c.calls ?? 0, rate: rateOf(c[field] ?? 0, c.calls ?? 0) });
    return { before: side(before!), after: side(after!) };
  }
}

/**
 * A department's stream read with a consumer group (at-least-once): entries stay pending for the
 * consumer until acknowledged; read them again with `pending: true` after a crash (XREADGROUP from 0).
 */
export class DepartmentStreamReader {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    department: string,
    private readonly group: string,
    private readonly consumer: string,
  ) {
    this.key = new VocKeys(prefix).department(department);
  }

  /** Creates the group (and the stream) if missing; a new group starts at `startId` ('0': everything kept). */
  async ensureGroup(startId = '0'): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, this.group, startId, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  /** New entries (or, with `pending`, this consumer's unacknowledged ones). Entries that fail validation come with `entry: undefined`. */
  async read(options: { count?: number; blockMs?: number; pending?: boolean } = {}): Promise<Array<{ id: string; entry: DepartmentEntry | undefined }>> {
    const count = options.count ?? 100;
    const reply = options.pending
      ? await this.redis.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', count, 'STREAMS', this.key, '0')
      : options.blockMs !== undefined
        ? await this.redis.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', this.key, '>')
        : await this.redis.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', count, 'STREAMS', this.key, '>');
    const entries = ((reply as Array<[string, Array<[string, string[]]>]> | null)?.[0]?.[1] ?? []);
    return entries.map(([id, fields]) => {
      const json = fields[fields.indexOf('event') + 1];
      let entry: DepartmentEntry | undefined;
      try {
        const parsed = departmentEntrySchema.safeParse(JSON.parse(json ?? ''));
        entry = parsed.success ? parsed.data : undefined;
      } catch {
        entry = undefined;
      }
      return { id, entry };
    });
  }

  async ack(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.redis.xack(this.key, this.group, ...ids);
  }
}

function parseSpike(hash: Record<string, string>): SpikeRecord | undefined {
  const spike = parseJson(spikeEventSchema, hash.spike);
  if (!spike) return undefined;
  const status: SpikeStatus = hash.status === 'acknowledged' || hash.status === 'resolved' ? hash.status : 'open';
  const end = parseJson(spikeEndEventSchema, hash.end);
  return {
    spike,
    status,
    active: hash.active === '1',
    ...(end ? { end } : {}),
    ...(hash.ackedBy ? { ack: { by: hash.ackedBy, at: hash.ackedAt ?? '', note: hash.ackNote ?? '' } } : {}),
    ...(hash.resolvedBy ? { resolve: { by: hash.resolvedBy, at: hash.resolvedAt ?? '', note: hash.resolveNote ?? '' } } : {}),
  };
}
