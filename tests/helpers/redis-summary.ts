import type { Redis } from 'ioredis';
import { RedisKeys } from '../../src/publish/keys.js';

export type StoredSummary = Record<string, unknown> & {
  callId: string;
  endReason: string;
  transcript: Array<{ party: string; text: string; startMs: number; endMs: number; words: Array<{ word: string; startMs: number; endMs: number }> }>;
  alerts: Array<Record<string, unknown>>;
  metadata: Record<string, unknown>;
  parties: string[];
  durationMs: number;
};

/** Polls Redis until the call's summary is written (protocols that do not send it on the socket). */
export async function waitForSummary(redis: Redis, prefix: string, callId: string, timeoutMs = 60_000): Promise<StoredSummary> {
  const key = new RedisKeys(prefix).callSummary(callId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = await redis.get(key);
    if (raw) return JSON.parse(raw) as StoredSummary;
    if (Date.now() > deadline) throw new Error(`no summary for ${callId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** callIds of summaries under the prefix whose callId starts with `callIdPrefix` (for generated ids). */
export async function findSummaryIds(redis: Redis, prefix: string, callIdPrefix: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:call:{${callIdPrefix}*}:summary`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) ids.push(key.slice(key.indexOf('{') + 1, key.indexOf('}')));
  } while (cursor !== '0');
  return ids;
}

/** Value of one labelled counter in Prometheus text, 0 when absent. */
export function counterValue(metricsText: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels);
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    const pairs = new Map(body.split(',').map((p) => { const i = p.indexOf('='); return [p.slice(0, i), p.slice(i + 2, -1)] as const; }));
    if (wanted.every(([k, v]) => pairs.get(k) === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
