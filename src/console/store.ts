import type { AlertEvent, AlertWithdrawnEvent, CallSummary, TranscriptEvent } from '../events/schema.js';
import type { RedisKeys } from '../publish/keys.js';
import type { RedisClient } from '../publish/redis-connection.js';
import type { VocReader } from '../publish/voc-reader.js';
import type { AckRequest, AckState, AlertEntry, AlertsPage, BoardCall, CallDetail, DriversView } from './wire.js';

/** Lowest to highest. */
const SEVERITIES: ReadonlyArray<AlertEvent['severity']> = ['info', 'low', 'medium', 'high', 'critical'];
/** Recent alerts read per call for the board's raised-tone state and top severity (one small read per call). */
const BOARD_ALERTS_PER_CALL = 20;
/** Slices of the drivers trend chart, and spikes listed. */
const TREND_SLICES = 12;
const SPIKES_LISTED = 50;
/** Final transcript lines returned for one call. */
const DETAIL_TRANSCRIPT_LINES = 5000;

export interface StoreLimits {
  maxAlertsPerRead: number;
  maxBoardCalls: number;
  /** Acks expire with their call's keys at the latest (max call duration + retention). */
  ackTtlMs: number;
}

/**
 * The console's reads and writes in Redis (layout in src/publish/keys.ts). Everything comes from
 * Redis, not from this instance's memory, so the console shows the calls of every instance.
 */
export class ConsoleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly limits: StoreLimits,
    private readonly voc: VocReader,
  ) {}

  /** The cross-call layer (docs/voc.md) through its read API: drivers, per-department trend, spikes. */
  async drivers(periodMs: number, nowMs: number): Promise<DriversView> {
    const slice = Math.max(1, Math.floor(periodMs / TREND_SLICES));
    const starts = Array.from({ length: TREND_SLICES }, (_, i) => nowMs - periodMs + i * slice);
    const [report, slices, spikes] = await Promise.all([
      this.voc.drivers({ nowMs, periodMs }),
      this.voc.countRanges(starts.map((start) => [start, start + slice] as const)),
      this.voc.spikes({ limit: SPIKES_LISTED }),
    ]);
    const departments: Record<string, number[]> = {};
    for (const field of new Set(slices.flatMap((s) => Object.keys(s)))) {
      if (field.startsWith('department:')) departments[field.slice('department:'.length)] = slices.map((s) => s[field] ?? 0);
    }
    return { report, trend: { sliceStartsMs: starts, volume: slices.map((s) => s.calls ?? 0), departments }, spikes };
  }

  /** Active calls (oldest first), then recently ended ones (newest first), up to maxBoardCalls. */
  async board(): Promise<BoardCall[]> {
    const max = this.limits.maxBoardCalls;
    const active = await this.redis.zrange(this.keys.activeCalls(), '0', String(max - 1));
    const recent = active.length < max ? await this.redis.zrevrange(this.keys.recentCalls(), 0, max - active.length - 1) : [];
    const ids = [...new Set([...active, ...recent])];
    const calls = await Promise.all(ids.map((id) => this.call(id, BOARD_ALERTS_PER_CALL)));
    const present = calls.filter((c): c is BoardCall => c !== undefined);
    // Index entries of calls whose keys expired (a crashed instance's calls, old ended calls) are dropped.
    const gone = ids.filter((id) => !present.some((c) => c.callId === id));
    if (gone.length > 0) {
      await this.redis.zrem(this.keys.activeCalls(), ...gone);
      await this.redis.zrem(this.keys.recentCalls(), ...gone);
    }
    return present;
  }

  async detail(callId: string): Promise<CallDetail | undefined> {
    const call = await this.call(callId, BOARD_ALERTS_PER_CALL);
    if (!call) return undefined;
    const [alerts, lines, summary] = await Promise.all([
      this.redis.xrange(this.keys.callAlerts(callId), '-', '+', 'COUNT', this.limits.maxAlertsPerRead),
      this.redis.xrange(this.keys.callTranscript(callId), '-', '+', 'COUNT', DETAIL_TRANSCRIPT_LINES),
      this.redis.get(this.keys.callSummary(callId)),
    ]);
    const entries = streamEntries<AlertEvent | AlertWithdrawnEvent>(alerts);
    return {
      call,
      alerts: entries.map(({ id, event }) => ({ streamId: id, event })),
      transcript: streamEntries<TranscriptEvent>(lines).map((e) => e.event),
      acks: await this.acks(entries.map((e) => e.event.id)),
      ...(summary ? { summary: JSON.parse(summary) as CallSummary } : {}),
    };
  }

  /** The newest alerts of all calls (no `after`), or those after a stream id (catch-up after a reconnect). */
  async alerts(after?: string): Promise<AlertsPage> {
    const max = this.limits.maxAlertsPerRead;
    const key = this.keys.alertStream();
    const raw = after
      ? await this.redis.xrange(key, `(${after}`, '+', 'COUNT', max)
      : (await this.redis.xrevrange(key, '+', '-', 'COUNT', max)).reverse();
    const entries = streamEntries<AlertEvent | AlertWithdrawnEvent>(raw).map(({ id, event }) => ({ streamId: id, event }));
    const lastId = entries.at(-1)?.streamId ?? after ?? (await this.lastStreamId());
    return { entries, acks: await this.acks(entries.map((e) => e.event.id)), lastId };
  }

  /** Records an acknowledgement or assignment; returns the alert's new state. */
  async ack(request: AckRequest, now: Date): Promise<AckState> {
    const previous = (await this.acks([request.alertId]))[0];
    const state: AckState = { ...previous, alertId: request.alertId, updatedAt: now.toISOString() };
    if (request.action === 'ack') {
      state.ackedBy = request.by;
      state.ackedAt = now.toISOString();
    } else if (request.assignee) state.assignee = request.assignee;
    else delete state.assignee;
    const key = this.keys.callAcks(alertCallId(request.alertId));
    await this.redis.multi().hset(key, request.alertId, JSON.stringify(state)).pexpire(key, this.limits.ackTtlMs).exec();
    await this.redis.publish(this.keys.consoleChannel(), JSON.stringify({ type: 'ack', ack: state }));
    return state;
  }

  async acks(alertIds: readonly string[]): Promise<AckState[]> {
    const byCall = new Map<string, string[]>();
    for (const id of new Set(alertIds)) {
      const callId = alertCallId(id);
      byCall.set(callId, [...(byCall.get(callId) ?? []), id]);
    }
    const values = await Promise.all([...byCall].map(([callId, ids]) => this.redis.hmget(this.keys.callAcks(callId), ...ids)));
    return values.flat().flatMap((v) => (v ? [JSON.parse(v) as AckState] : []));
  }

  private async lastStreamId(): Promise<string> {
    const last = await this.redis.xrevrange(this.keys.alertStream(), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  /** One call: its hash, tags and its most recent alerts (raised-tone state, top severity). */
  private async call(callId: string, alertsToRead: number): Promise<BoardCall | undefined> {
    const [hash, tags, alerts] = await Promise.all([
      this.redis.hgetall(this.keys.call(callId)),
      this.redis.smembers(this.keys.callTags(callId)),
      this.redis.xrevrange(this.keys.callAlerts(callId), '+', '-', 'COUNT', alertsToRead),
    ]);
    if (!hash.state) return undefined;
    return boardCall(callId, hash, tags, streamEntries<AlertEvent | AlertWithdrawnEvent>(alerts).map((e) => e.event));
  }
}

function boardCall(callId: string, hash: Record<string, string>, tags: string[], events: Array<AlertEvent | AlertWithdrawnEvent>): BoardCall {
  const withdrawn = new Set(events.filter((e) => e.type === 'alert_withdrawn').map((e) => e.id));
  const alerts = events.filter((e): e is AlertEvent => e.type === 'alert' && !withdrawn.has(e.id));
  let maxSeverity: AlertEvent['severity'] | undefined;
  for (const a of alerts) if (!maxSeverity || SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(maxSeverity)) maxSeverity = a.severity;
  return {
    callId,
    state: hash.state === 'ended' || hash.state === 'interrupted' ? 'ended' : 'active',
    protocol: hash.protocol ?? '',
    parties: parseStrings(hash.parties),
    startedAt: hash.startedAt ?? '',
    ...(hash.endedAt ? { endedAt: hash.endedAt } : {}),
    ...(hash.durationMs ? { durationMs: Number(hash.durationMs) } : {}),
    alertCount: Number(hash.alertCount ?? 0),
    tags: tags.sort(),
    ...(hash.driver ? { driver: hash.driver } : {}),
    ...(hash.department ? { department: hash.department } : {}),
    raisedTone: alerts.some((a) => a.kind === 'raised_tone'),
    ...(maxSeverity ? { maxSeverity } : {}),
    ...(hash.instance ? { instance: hash.instance } : {}),
  };
}

/** Alert ids are `<callId>/<occurrence key>` and callIds never contain '/'. */
export function alertCallId(alertId: string): string {
  const slash = alertId.indexOf('/');
  return slash > 0 ? alertId.slice(0, slash) : alertId;
}

function parseStrings(json: string | undefined): string[] {
  try {
    const value: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

type RawEntries = Array<[id: string, fields: string[]]>;

/** Stream entries whose `event` field holds JSON; entries without one (or unparsable) are skipped. */
function streamEntries<T>(raw: RawEntries): Array<{ id: string; event: T }> {
  const out: Array<{ id: string; event: T }> = [];
  for (const [id, fields] of raw) {
    const at = fields.indexOf('event');
    const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    if (json === undefined) continue;
    try {
      out.push({ id, event: JSON.parse(json) as T });
    } catch {
      continue;
    }
  }
  return out;
}
