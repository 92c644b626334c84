import { EVENT_SCHEMA_VERSION, type AlertEvent, type AlertWithdrawnEvent, type CallSummary, type TranscriptEvent } from '../events/schema.js';
import type { CallEndedMessage } from '../events/wire.js';
import { RECORD_KEY_SUFFIXES, RedisKeys } from './keys.js';
import { RECOVER_SCRIPT } from './record-scripts.js';
import type { RedisClient } from './redis-connection.js';

/** An entry of a Redis stream as ioredis returns it: [id, [field, value, ...]]. */
export type StreamEntry = [string, string[]];

/** What is known of the dead process that held the call. */
export interface InterruptionContext {
  /** server.instanceId of the engine that held the call. */
  instance: string;
  /** The engine process (lease name) that held it. */
  process: string;
  /** When that process last renewed its lease (ms): it died after this. */
  lastSeenMs: number | undefined;
  /** Now (ms). */
  nowMs: number;
}

/**
 * The summary of a call whose engine process died, from what Redis holds of it: the call hash (who,
 * when, metadata), its tags, its alert stream (alerts, minus the withdrawn ones) and its final
 * transcript lines. What lived only in the dead process is missing: per-party audio accounting and
 * the analytics sections; `analytics.recovery` says so. The call ends at the process's last sign of
 * life (its last lease renewal, or the call's last stored event when that is later).
 */
export function rebuildSummary(
  callId: string,
  hash: Record<string, string>,
  tags: string[],
  alertEntries: StreamEntry[],
  transcriptEntries: StreamEntry[],
  context: InterruptionContext,
): CallSummary {
  const startedMs = Number(hash.startedMs) || Date.parse(hash.startedAt ?? '') || context.nowMs;
  const alerts = new Map<string, AlertEvent>();
  for (const event of streamEvents<AlertEvent | AlertWithdrawnEvent>(alertEntries)) {
    if (event.type === 'alert' && typeof event.id === 'string') alerts.set(event.id, event);
    else if (event.type === 'alert_withdrawn') alerts.delete(event.id);
  }
  const transcript = streamEvents<TranscriptEvent>(transcriptEntries)
    .filter((t) => t.type === 'transcript' && t.final)
    .map(({ party, text, startMs, endMs, words }) => ({ party, text, startMs, endMs, words: Array.isArray(words) ? words : [] }))
    .sort((a, b) => a.startMs - b.startMs);
  // A stream entry id starts with the ms it was added at.
  let lastEventMs = 0;
  for (const [id] of [...alertEntries, ...transcriptEntries]) lastEventMs = Math.max(lastEventMs, Number(id.split('-')[0]) || 0);
  const endedMs = Math.min(context.nowMs, Math.max(startedMs, lastEventMs, context.lastSeenMs ?? 0));
  return {
    type: 'summary',
    v: EVENT_SCHEMA_VERSION,
    callId,
    protocol: hash.protocol ?? 'unknown',
    language: hash.language ?? '',
    parties: parseJson(hash.parties, (v): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string'), []),
    metadata: parseJson(hash.metadata, (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v), {}),
    startedAt: new Date(startedMs).toISOString(),
    endedAt: new Date(endedMs).toISOString(),
    durationMs: endedMs - startedMs,
    endReason: 'interrupted',
    cutShort: true,
    tags: [...tags].sort(),
    alertCount: alerts.size,
    alerts: [...alerts.values()],
    transcript,
    audio: {},
    analytics: {
      recovery: {
        instance: context.instance,
        process: context.process,
        ...(context.lastSeenMs !== undefined ? { lastSeenAt: new Date(context.lastSeenMs).toISOString() } : {}),
        rebuiltAt: new Date(context.nowMs).toISOString(),
        missing: ['audio', 'analytics'],
      },
    },
  };
}

/**
 * Ends one record left active by a dead process: reads it, rebuilds its summary and writes it with
 * state and endReason 'interrupted' (RECOVER_SCRIPT: only while the record is still active, so a
 * real end that lands late, or a second recoverer, never gets overwritten), then updates the call
 * lists and announces the end like any call end. Returns the summary when this call wrote it.
 */
export async function interruptCall(
  redis: RedisClient,
  options: { prefix: string; retentionMs: number; recentCallsMax: number },
  callId: string,
  record: string,
  context: InterruptionContext,
): Promise<CallSummary | undefined> {
  const keys = new RedisKeys(options.prefix);
  const primary = keys.record(callId);
  const own = keys.record(callId, record);
  const base = (await redis.hget(primary, 'record')) === record ? primary : own;
  const [hash, tags, alertEntries, transcriptEntries] = await Promise.all([
    redis.hgetall(base),
    redis.smembers(`${base}:tags`),
    redis.xrange(`${base}:alerts`, '-', '+') as Promise<StreamEntry[]>,
    redis.xrange(`${base}:transcript`, '-', '+') as Promise<StreamEntry[]>,
  ]);
  if (hash.state !== 'active') return undefined; // ended meanwhile, recovered by another process, or gone
  const summary = rebuildSummary(callId, hash, tags, alertEntries, transcriptEntries, context);
  const fields = {
    state: 'interrupted',
    endedAt: summary.endedAt,
    endReason: summary.endReason,
    cutShort: 'true',
    durationMs: String(summary.durationMs),
    tagsCount: String(summary.tags.length),
    alertCount: String(summary.alertCount),
  };
  const written = await redis.eval(
    RECOVER_SCRIPT,
    2,
    primary,
    own,
    record,
    options.retentionMs,
    RECORD_KEY_SUFFIXES.join(' '),
    JSON.stringify(summary),
    ...Object.entries(fields).flat(),
  );
  if (written !== 1) return undefined;
  const ended: CallEndedMessage = { type: 'call_ended', v: 1, callId, endReason: 'interrupted', endedAt: summary.endedAt, durationMs: summary.durationMs };
  await Promise.all([
    redis
      .multi()
      .zrem(keys.activeCalls(), callId)
      .zadd(keys.recentCalls(), Date.parse(summary.endedAt), callId)
      .zremrangebyrank(keys.recentCalls(), 0, -options.recentCallsMax - 1)
      .exec(),
    redis.publish(keys.callsChannel(), JSON.stringify(ended)),
  ]);
  return summary;
}

/** The JSON `event` field of each entry; entries that do not parse are skipped. */
function streamEvents<T>(entries: StreamEntry[]): T[] {
  const events: T[] = [];
  for (const [, fields] of entries) {
    const at = fields.indexOf('event');
    if (at < 0 || at % 2 !== 0) continue;
    try {
      const event = JSON.parse(fields[at + 1] ?? '') as unknown;
      if (typeof event === 'object' && event !== null) events.push(event as T);
    } catch {
      // a foreign or damaged entry costs itself only
    }
  }
  return events;
}

function parseJson<T>(text: string | undefined, valid: (v: unknown) => v is T, fallback: T): T {
  try {
    const value = JSON.parse(text ?? '') as unknown;
    return valid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}
