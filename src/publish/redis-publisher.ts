import type { RedisOptions } from '../config/schema.js';
import type { AlertEvent, AlertWithdrawnEvent, CallSummary, DriverEvent, TranscriptEvent } from '../events/schema.js';
import type { CallEndedMessage, CallStartedMessage, CallTagsMessage } from '../events/wire.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { CallStart } from '../session/types.js';
import { activeCallMember, RECORD_KEY_SUFFIXES, RedisKeys } from './keys.js';
import { END_SCRIPT, FIELDS_SCRIPT, REPLAY_END_SCRIPT, START_SCRIPT, STREAM_SCRIPT, TAGS_SCRIPT } from './record-scripts.js';
import type { RedisClient } from './redis-connection.js';
import type { SummarySpool } from './summary-spool.js';

/**
 * What the call session needs from the output side; failures are counted and logged, never thrown.
 * `record` names this call among every call that used its callId (keys.ts): a callId can be used
 * again, and each use is kept.
 */
export interface CallPublisher {
  callStarted(start: CallStart, startedAt: Date, record: string): Promise<void>;
  alert(event: AlertEvent, record: string): Promise<void>;
  alertWithdrawn(event: AlertWithdrawnEvent, record: string): Promise<void>;
  /** A final transcript line (partials are not stored). */
  transcript(event: TranscriptEvent, record: string): Promise<void>;
  tags(callId: string, tags: readonly string[], record: string): Promise<void>;
  /** The call's drivers changed (docs/voc.md). */
  driver(event: DriverEvent, record: string): Promise<void>;
  callEnded(summary: CallSummary, record: string): Promise<void>;
}

/** Counts an ended call across calls (VocAggregator): one Redis round trip per call. */
export interface CallAggregator {
  record(summary: CallSummary): Promise<void>;
}

/**
 * Writes call state, alerts, tags and summaries to Redis (layout in keys.ts). Per-call keys of one
 * record are written by Lua scripts that find the record's keys inside Redis (record-scripts.ts);
 * global keys (alert stream, channels) are written separately so the layout works on Redis Cluster.
 * A summary Redis does not confirm goes to the spool (when one is given) and is written later
 * (replaySpool: at the next start, or when Redis comes back).
 */
export class RedisCallPublisher implements CallPublisher {
  private readonly keys: RedisKeys;
  private pending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Protocol of each active call, so failure lines carry callId and protocol like every call-related log line. */
  private readonly protocols = new Map<string, string>();
  /** Summaries whose write Redis has not confirmed yet, by record. */
  private readonly unconfirmed = new Map<string, CallSummary>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: Pick<RedisOptions, 'prefix' | 'retentionMs' | 'alertStreamMaxLen' | 'maxPendingWrites'> & {
      /** Ended calls kept in the recent-calls index (redis.recentCallsMax; 1000 when not given). */
      recentCallsMax?: number;
      /** Written into each call's hash, so operators can tell which instance held a call (e.g. one that died). */
      instance?: string;
      /** This process's active-call set (InstanceRegistry): crash recovery finds the calls a dead process left. */
      processCallsKey?: string;
    },
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    /** TTL of an active call's keys, so a crashed instance cannot leave them forever. */
    private readonly activeTtlMs: number,
    /** Cross-call counts (voc.enabled); written after the call's own keys, counted like every write. */
    private readonly aggregator?: CallAggregator,
    /** Where unconfirmed summaries wait until Redis takes them. */
    private readonly spool?: SummarySpool,
  ) {
    this.keys = new RedisKeys(options.prefix);
  }

  callStarted(start: CallStart, startedAt: Date, record: string): Promise<void> {
    const { callId } = start;
    this.protocols.set(callId, start.protocol);
    const fields: Record<string, string> = {
      state: 'active',
      protocol: start.protocol,
      language: start.language,
      parties: JSON.stringify(start.parties),
      startedAt: startedAt.toISOString(),
      startedMs: String(startedAt.getTime()),
      metadata: JSON.stringify(start.metadata),
      tagsCount: '0',
      alertCount: '0',
      ...(this.options.instance ? { instance: this.options.instance } : {}),
    };
    // No call outlives maxCallDurationMs: an active record older than that was left by a dead instance.
    const staleAfterMs = this.activeTtlMs - this.options.retentionMs;
    const processCalls = this.options.processCallsKey;
    return this.write('call_started', callId, async () => {
      await allSent([
        ...(processCalls
          ? [this.redis.sadd(processCalls, activeCallMember(callId, record)), this.redis.pexpire(processCalls, this.activeTtlMs)]
          : []),
        this.redis.eval(
          START_SCRIPT,
          3,
          this.keys.record(callId),
          this.keys.record(callId, record),
          this.keys.callRecords(callId),
          record,
          this.activeTtlMs,
          startedAt.getTime(),
          staleAfterMs,
          RECORD_KEY_SUFFIXES.join(' '),
          ...Object.entries(fields).flat(),
        ),
        this.redis.zadd(this.keys.activeCalls(), startedAt.getTime(), callId),
        this.redis.publish(
          this.keys.callsChannel(),
          JSON.stringify({ type: 'call_started', v: 1, callId, protocol: start.protocol, parties: start.parties, startedAt: startedAt.toISOString() } satisfies CallStartedMessage),
        ),
      ]);
    });
  }

  alert(event: AlertEvent, record: string): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('alert', event.callId, async () => {
      await allSent([this.recordEval(STREAM_SCRIPT, event.callId, record, this.activeTtlMs, ':alerts', json, 1), ...this.broadcastAlert(json)]);
    });
  }

  alertWithdrawn(event: AlertWithdrawnEvent, record: string): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('alert_withdrawn', event.callId, async () => {
      await allSent([this.recordEval(STREAM_SCRIPT, event.callId, record, this.activeTtlMs, ':alerts', json, 0), ...this.broadcastAlert(json)]);
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

  transcript(event: TranscriptEvent, record: string): Promise<void> {
    if (!event.final) return Promise.resolve();
    const json = JSON.stringify(event);
    return this.write('transcript', event.callId, async () => {
      await allSent([
        this.recordEval(STREAM_SCRIPT, event.callId, record, this.activeTtlMs, ':transcript', json, 0),
        this.redis.publish(this.keys.transcriptChannel(), json),
      ]);
    });
  }

  tags(callId: string, tags: readonly string[], record: string): Promise<void> {
    if (tags.length === 0) return Promise.resolve();
    return this.write('tags', callId, async () => {
      await allSent([
        this.recordEval(TAGS_SCRIPT, callId, record, this.activeTtlMs, ...tags),
        this.redis.publish(this.keys.callsChannel(), JSON.stringify({ type: 'call_tags', v: 1, callId, tags: [...tags] } satisfies CallTagsMessage)),
      ]);
    });
  }

  driver(event: DriverEvent, record: string): Promise<void> {
    const json = JSON.stringify(event);
    return this.write('driver', event.callId, async () => {
      const { primary } = event;
      await allSent([
        this.recordEval(FIELDS_SCRIPT, event.callId, record, 'driver', primary.id, 'department', primary.department ?? ''),
        this.redis.publish(this.keys.driversChannel(), json),
      ]);
    });
  }

  callEnded(summary: CallSummary, record: string): Promise<void> {
    const { callId } = summary;
    this.protocols.set(callId, summary.protocol);
    this.unconfirmed.set(record, summary);
    const done = this.write(
      'call_ended',
      callId,
      async () => {
        await this.writeEnd(summary, record, false);
        this.unconfirmed.delete(record);
      },
      // Not confirmed: kept on disk (a timed-out write may still land; replaying it is harmless).
      () => this.spoolUnconfirmed(record),
    );
    const aggregated = this.aggregator ? this.write('voc_aggregate', callId, () => this.aggregator!.record(summary)) : Promise.resolve();
    return Promise.all([done, aggregated]).then(() => undefined).finally(() => this.protocols.delete(callId));
  }

  /**
   * The end of one record: state, summary, tags, retention; and the lifecycle message. A replay
   * (from the spool) changes nothing and publishes nothing when Redis already holds this summary.
   * Returns whether the summary was written.
   */
  private async writeEnd(summary: CallSummary, record: string, replay: boolean): Promise<boolean> {
    const { callId } = summary;
    const fields: Record<string, string> = {
      state: 'ended',
      endedAt: summary.endedAt,
      endReason: summary.endReason,
      cutShort: String(summary.cutShort),
      durationMs: String(summary.durationMs),
      tagsCount: String(summary.tags.length),
      alertCount: String(summary.alertCount),
      ...finalDriver(summary),
    };
    const end = () =>
      this.recordEval(
        replay ? REPLAY_END_SCRIPT : END_SCRIPT,
        callId,
        record,
        this.options.retentionMs,
        RECORD_KEY_SUFFIXES.join(' '),
        JSON.stringify(summary),
        summary.tags.length,
        ...summary.tags,
        ...Object.entries(fields).flat(),
      );
    const lists = () =>
      // The console's call lists; global keys, so written apart from the call's slot.
      this.redis
        .multi()
        .zrem(this.keys.activeCalls(), callId)
        .zadd(this.keys.recentCalls(), Date.parse(summary.endedAt), callId)
        .zremrangebyrank(this.keys.recentCalls(), 0, -(this.options.recentCallsMax ?? 1000) - 1)
        .exec()
        .then(throwOnMultiError);
    const announce = () =>
      this.redis.publish(
        this.keys.callsChannel(),
        JSON.stringify({ type: 'call_ended', v: 1, callId, endReason: summary.endReason, endedAt: summary.endedAt, durationMs: summary.durationMs } satisfies CallEndedMessage),
      );
    if (replay) {
      // Only a summary Redis did not hold yet is announced (replaying twice sends one call_ended).
      if ((await end()) !== 1) return false;
      await allSent([lists(), announce()]);
      return true;
    }
    // Sent together, never after the first answers: a write that times out client-side still runs
    // when a hung Redis resumes, and the rest must not be lost then.
    const processCalls = this.options.processCallsKey;
    await allSent([end(), lists(), announce(), ...(processCalls ? [this.redis.srem(processCalls, activeCallMember(callId, record))] : [])]);
    return true;
  }

  private recordEval(script: string, callId: string, record: string, ...args: Array<string | number>): Promise<unknown> {
    return this.redis.eval(script, 2, this.keys.record(callId), this.keys.record(callId, record), record, ...args);
  }

  /**
   * Shutdown with writes still pending (Redis hung or away): every summary Redis has not confirmed
   * goes to the spool. Returns how many were spooled.
   */
  async spoolUnconfirmedSummaries(): Promise<number> {
    let spooled = 0;
    for (const record of [...this.unconfirmed.keys()]) if (await this.spoolUnconfirmed(record)) spooled++;
    return spooled;
  }

  /**
   * Writes the summaries waiting in the spool (this prefix's), deleting each file once Redis took it;
   * unwritten ones stay for the next try. Idempotent: a summary Redis already holds is not written
   * or announced again.
   */
  async replaySpool(): Promise<{ replayed: number; alreadyThere: number; failed: number }> {
    const result = { replayed: 0, alreadyThere: 0, failed: 0 };
    if (!this.spool) return result;
    const { entries, unreadable } = await this.spool.list(this.options.prefix);
    for (const file of unreadable) this.log.error({ file }, 'spooled summary unreadable; left in place');
    result.failed += unreadable.length;
    for (const { file, entry } of entries) {
      const call = { callId: entry.summary.callId, protocol: entry.summary.protocol };
      if (this.unconfirmed.has(entry.record)) continue; // this process's own write is still under way
      try {
        const written = await this.writeEnd(entry.summary, entry.record, true);
        await this.spool.remove(file);
        if (written) {
          result.replayed++;
          this.metrics.summariesReplayed.inc();
          this.log.info({ ...call, file }, 'spooled summary written to redis');
        } else result.alreadyThere++;
      } catch (err) {
        result.failed++;
        this.log.error({ ...call, err }, 'spooled summary not written; kept for the next try');
      }
    }
    return result;
  }

  private async spoolUnconfirmed(record: string): Promise<boolean> {
    const summary = this.unconfirmed.get(record);
    if (!summary) return false;
    this.unconfirmed.delete(record);
    const call = { callId: summary.callId, protocol: summary.protocol };
    if (!this.spool) return false;
    try {
      if ((await this.spool.save({ prefix: this.options.prefix, record, summary })) === 'saved') {
        this.metrics.summariesSpooled.inc();
        this.log.warn({ ...call, dir: this.spool.dir }, 'summary not confirmed by redis; spooled, written when redis takes it');
        return true;
      }
      this.metrics.summariesSpoolLost.inc();
      this.log.error({ ...call, dir: this.spool.dir }, 'summary spool full (redis.spool.maxFiles / maxBytes); summary lost');
    } catch (err) {
      this.metrics.summariesSpoolLost.inc();
      this.log.error({ ...call, err }, 'summary spool write failed; summary lost');
    }
    return false;
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
  private write(operation: string, callId: string, run: () => Promise<void>, onFailure?: () => Promise<unknown>): Promise<void> {
    const call = { callId, protocol: this.protocols.get(callId) };
    if (this.pending >= this.options.maxPendingWrites) {
      this.metrics.redisDroppedWrites.inc();
      this.log.warn({ operation, ...call }, 'redis write dropped: too many pending writes');
      return onFailure ? onFailure().then(() => undefined) : Promise.resolve();
    }
    this.pending++;
    const done = run()
      .catch(async (err: unknown) => {
        this.metrics.redisPublishFailures.inc({ operation });
        this.log.error({ operation, ...call, err }, 'redis write failed');
        await onFailure?.();
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
