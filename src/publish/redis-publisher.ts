import type { RedisOptions } from '../config/schema.js';
import type { AlertEvent, AlertWithdrawnEvent, CallSummary, DriverEvent, TranscriptEvent } from '../events/schema.js';
import type { CallEndedMessage, CallStartedMessage, CallTagsMessage } from '../events/wire.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { CallStart } from '../session/types.js';
import { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** What the call session needs from the output side; failures are counted and logged, never thrown. */
export interface CallPublisher {
  callStarted(start: CallStart, startedAt: Date): Promise<void>;
  alert(event: AlertEvent): Promise<void>;
  alertWithdrawn(event: AlertWithdrawnEvent): Promise<void>;
  /** A final transcript line (partials are not stored). */
  transcript(event: TranscriptEvent): Promise<void>;
  tags(callId: string, tags: readonly string[]): Promise<void>;
  /** The call's drivers changed (docs/voc.md). */
  driver(event: DriverEvent): Promise<void>;
  callEnded(summary: CallSummary): Promise<void>;
}

/** Counts an ended call across calls (VocAggregator): one Redis round trip per call. */
export interface CallAggregator {
  record(summary: CallSummary): Promise<void>;
}

/**
 * Writes call state, alerts, tags and summaries to Redis (layout in keys.ts). Per-call keys of one
 * call share a hash slot and are written in MULTI blocks; global keys (alert stream, channels) are
 * written separately so the layout works on Redis Cluster.
 */
export class RedisCallPublisher implements CallPublisher {
  private readonly keys: RedisKeys;
  private pending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Protocol of each active call, so failure lines carry callId and protocol like every call-related log line. */
  private readonly protocols = new Map<string, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: Pick<RedisOptions, 'prefix' | 'retentionMs' | 'alertStreamMaxLen' | 'maxPendingWrites'> & {
      /** Ended calls kept in the recent-calls index (redis.recentCallsMax; 1000 when not given). */
      recentCallsMax?: number;
      /** Written into each call's hash, so operators can tell which instance held a call (e.g. one that died). */
      instance?: string;
    },
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    /** TTL of an active call's keys, so a crashed instance cannot leave them forever. */
    private readonly activeTtlMs: number,
    /** Cross-call counts (voc.enabled); written after the call's own keys, counted like every write. */
    private readonly aggregator?: CallAggregator,
  ) {
    this.keys = new RedisKeys(options.prefix);
  }

  callStarted(start: CallStart, startedAt: Date): Promise<void> {
    const key = this.keys.call(start.callId);
    this.protocols.set(start.callId, start.protocol);
    return this.write('call_started', start.callId, async () => {
      await this.redis
        .multi()
        .hset(key, {
          state: 'active',
          protocol: start.protocol,
          language: start.language,
          parties: JSON.stringify(start.parties),
          startedAt: startedAt.toISOString(),
          metadata: JSON.stringify(start.metadata),
          tagsCount: 0,
          alertCount: 0,
          ...(this.options.instance ? { instance: this.options.instance } : {}),
        })
        .pexpire(key, this.activeTtlMs)
        .exec()
        .then(throwOnMultiError);
      await this.redis.zadd(this.keys.activeCalls(), startedAt.getTime(), start.callId);
      await this.redis.publish(
        this.keys.callsChannel(),
        JSON.stringify({ type: 'call_started', v: 1, callId: start.callId, protocol: start.protocol, parties: start.parties, startedAt: startedAt.toISOString() } satisfies CallStartedMessage),
      );
    });
  }

  alert(event: AlertEvent): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('alert', event.callId, async () => {
      const callAlerts = this.keys.callAlerts(event.callId);
      await allSent([
        this.redis
          .multi()
          .xadd(callAlerts, 'MAXLEN', '~', 10_000, '*', 'event', json)
          .pexpire(callAlerts, this.activeTtlMs)
          .hincrby(this.keys.call(event.callId), 'alertCount', 1)
          .exec()
          .then(throwOnMultiError),
        ...this.broadcastAlert(json),
      ]);
    });
  }

  alertWithdrawn(event: AlertWithdrawnEvent): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('alert_withdrawn', event.callId, async () => {
      await allSent([this.redis.xadd(this.keys.callAlerts(event.callId), 'MAXLEN', '~', 10_000, '*', 'event', json), ...this.broadcastAlert(json)]);
    });
  }

  /**
   * The global alert stream and the pub/sub channel. Sent together with the per-call write, never
   * after it answers: a write that times out client-side (Redis hung past commandTimeoutMs) still
   * runs when Redis resumes, so awaiting it first lost the global copies of alerts the call kept.
   */
  private broadcastAlert(json: string): Array<Promise<unknown>> {
    return [
      this.redis.xadd(this.keys.alertStream(), 'MAXLEN', '~', this.options.alertStreamMaxLen, '*', 'event', json),
      this.redis.publish(this.keys.alertChannel(), json),
    ];
  }

  transcript(event: TranscriptEvent): Promise<void> {
    if (!event.final) return Promise.resolve();
    const json = JSON.stringify(event);
    return this.write('transcript', event.callId, async () => {
      const key = this.keys.callTranscript(event.callId);
      await allSent([
        this.redis.multi().xadd(key, 'MAXLEN', '~', 10_000, '*', 'event', json).pexpire(key, this.activeTtlMs).exec().then(throwOnMultiError),
        this.redis.publish(this.keys.transcriptChannel(), json),
      ]);
    });
  }

  tags(callId: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return Promise.resolve();
    return this.write('tags', callId, async () => {
      const tagsKey = this.keys.callTags(callId);
      const [, , cardinality] = throwOnMultiError(
        await this.redis.multi().sadd(tagsKey, ...tags).pexpire(tagsKey, this.activeTtlMs).scard(tagsKey).exec(),
      );
      await this.redis.hset(this.keys.call(callId), 'tagsCount', Number(cardinality));
      await this.redis.publish(this.keys.callsChannel(), JSON.stringify({ type: 'call_tags', v: 1, callId, tags: [...tags] } satisfies CallTagsMessage));
    });
  }

  driver(event: DriverEvent): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('driver', event.callId, async () => {
      const { primary } = event;
      await this.redis.hset(this.keys.call(event.callId), { driver: primary.id, department: primary.department ?? '' });
      await this.redis.publish(this.keys.driversChannel(), json);
    });
  }

  callEnded(summary: CallSummary): Promise<void> {
    const { callId } = summary;
    const ttl = this.options.retentionMs;
    this.protocols.set(callId, summary.protocol);
    const done = this.write('call_ended', callId, async () => {
      const multi = this.redis.multi();
      if (summary.tags.length > 0) multi.sadd(this.keys.callTags(callId), ...summary.tags);
      await multi
        .hset(this.keys.call(callId), {
          state: 'ended',
          endedAt: summary.endedAt,
          endReason: summary.endReason,
          cutShort: String(summary.cutShort),
          durationMs: summary.durationMs,
          tagsCount: summary.tags.length,
          alertCount: summary.alertCount,
          ...finalDriver(summary),
        })
        .set(this.keys.callSummary(callId), JSON.stringify(summary))
        .pexpire(this.keys.call(callId), ttl)
        .pexpire(this.keys.callTags(callId), ttl)
        .pexpire(this.keys.callAlerts(callId), ttl)
        .pexpire(this.keys.callSummary(callId), ttl)
        .pexpire(this.keys.callTranscript(callId), ttl)
        .pexpire(this.keys.callAcks(callId), ttl)
        .exec()
        .then(throwOnMultiError);
      // The console's call lists; global keys, so written apart from the call's slot.
      await this.redis
        .multi()
        .zrem(this.keys.activeCalls(), callId)
        .zadd(this.keys.recentCalls(), Date.parse(summary.endedAt), callId)
        .zremrangebyrank(this.keys.recentCalls(), 0, -(this.options.recentCallsMax ?? 1000) - 1)
        .exec()
        .then(throwOnMultiError);
      await this.redis.publish(
        this.keys.callsChannel(),
        JSON.stringify({ type: 'call_ended', v: 1, callId, endReason: summary.endReason, endedAt: summary.endedAt, durationMs: summary.durationMs } satisfies CallEndedMessage),
      );
    });
    const aggregated = this.aggregator ? this.write('voc_aggregate', callId, () => this.aggregator!.record(summary)) : Promise.resolve();
    return Promise.all([done, aggregated]).then(() => undefined).finally(() => this.protocols.delete(callId));
  }

  /**
   * Resolves when every write issued so far has finished (or failed), or after `timeoutMs`. Used at
   * shutdown. Returns how many writes were still pending.
   */
  async flush(timeoutMs = Infinity): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      const left = deadline - Date.now();
      await Promise.race([Promise.allSettled([...this.inFlight]), ...(Number.isFinite(left) ? [sleep(left)] : [])]);
    }
    return this.inFlight.size;
  }

  /**
   * Runs one logical write. While Redis is unreachable, ioredis queues commands; at most
   * maxPendingWrites logical writes may wait, beyond that they are dropped and counted.
   */
  private write(operation: string, callId: string, run: () => Promise<void>): Promise<void> {
    const call = { callId, protocol: this.protocols.get(callId) };
    if (this.pending >= this.options.maxPendingWrites) {
      this.metrics.redisDroppedWrites.inc();
      this.log.warn({ operation, ...call }, 'redis write dropped: too many pending writes');
      return Promise.resolve();
    }
    this.pending++;
    const done = run()
      .catch((err: unknown) => {
        this.metrics.redisPublishFailures.inc({ operation });
        this.log.error({ operation, ...call, err }, 'redis write failed');
      })
      .finally(() => {
        this.pending--;
        this.inFlight.delete(done);
      });
    this.inFlight.add(done);
    return done;
  }
}

/** Waits for writes issued together; the first failure is reported once all have answered. */
async function allSent(writes: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The call hash's `driver` and `department` from the summary's final drivers (docs/voc.md). */
function finalDriver(summary: CallSummary): Record<string, string> {
  const drivers = summary.analytics?.drivers as { primary?: { id?: unknown; department?: unknown } } | undefined;
  const id = drivers?.primary?.id;
  if (typeof id !== 'string') return {};
  const department = drivers?.primary?.department;
  return { driver: id, department: typeof department === 'string' ? department : '' };
}

type MultiResult = Array<[Error | null, unknown]> | null;

function throwOnMultiError(results: MultiResult): unknown[] {
  if (!results) throw new Error('redis transaction aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
