import { alertStreamEventSchema, type AlertStreamEvent } from '../events/alert-wire.js';
import type { RedisClient } from '../publish/redis-connection.js';

/** One entry of the alert stream: a valid event, or why it could not be read. */
export type FeedEntry = { id: string; event: AlertStreamEvent } | { id: string; invalid: string };

type RawEntry = [id: string, fields: string[]];

const PAGE = 500;

export function parseEntry([id, fields]: RawEntry): FeedEntry {
  const at = fields.indexOf('event');
  const json = at >= 0 ? fields[at + 1] : undefined;
  if (json === undefined) return { id, invalid: 'no "event" field' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { id, invalid: 'event is not JSON' };
  }
  const parsed = alertStreamEventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { id, invalid: `field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}` };
  }
  return { id, event: parsed.data };
}

/** Every entry up to `end` (inclusive), oldest first, in pages (XRANGE). */
export async function* readAll(redis: RedisClient, key: string, end: string): AsyncGenerator<FeedEntry> {
  let start = '-';
  for (;;) {
    const page = (await redis.xrange(key, start, end, 'COUNT', PAGE)) as RawEntry[];
    for (const entry of page) yield parseEntry(entry);
    if (page.length < PAGE) return;
    start = `(${page[page.length - 1]![0]}`;
  }
}

/**
 * The last `count` entries up to `from` (inclusive) that `matches` accepts, oldest first (XREVRANGE
 * pages backwards until enough match or the stream's start is reached). Invalid entries are returned
 * too, so they can be reported.
 */
export async function readLast(
  redis: RedisClient,
  key: string,
  from: string,
  count: number,
  matches: (e: AlertStreamEvent) => boolean,
): Promise<FeedEntry[]> {
  const found: FeedEntry[] = [];
  let matched = 0;
  let end = from;
  while (matched < count) {
    const page = (await redis.xrevrange(key, end, '-', 'COUNT', PAGE)) as RawEntry[];
    for (const raw of page) {
      const entry = parseEntry(raw);
      if ('invalid' in entry) found.push(entry);
      else if (matches(entry.event)) {
        found.push(entry);
        if (++matched >= count) break;
      }
    }
    if (page.length < PAGE) break;
    end = `(${page[page.length - 1]![0]}`;
  }
  return found.reverse();
}

/** The id of the newest entry, or '0-0' for an empty stream: where following starts without history. */
export async function lastId(redis: RedisClient, key: string): Promise<string> {
  const newest = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as RawEntry[];
  return newest[0]?.[0] ?? '0-0';
}

/**
 * New entries after `afterId` as they arrive (XREAD BLOCK). Ends when `stopped()` turns true; a read
 * that fails while Redis is away is retried from the last id seen, so nothing is skipped.
 */
export async function* follow(
  redis: RedisClient,
  key: string,
  afterId: string,
  opts: { blockMs: number; stopped: () => boolean; onError: (err: Error) => void; retryMs: number },
): AsyncGenerator<FeedEntry> {
  let cursor = afterId;
  while (!opts.stopped()) {
    let reply: Array<[string, RawEntry[]]> | null;
    try {
      reply = (await redis.xread('COUNT', PAGE, 'BLOCK', opts.blockMs, 'STREAMS', key, cursor)) as Array<[string, RawEntry[]]> | null;
    } catch (err) {
      if (opts.stopped()) return;
      opts.onError(err instanceof Error ? err : new Error(String(err)));
      await new Promise((resolve) => setTimeout(resolve, opts.retryMs));
      continue;
    }
    for (const [, entries] of reply ?? []) {
      for (const raw of entries) {
        cursor = raw[0];
        yield parseEntry(raw);
      }
    }
  }
}
