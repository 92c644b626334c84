import { Cluster, Redis } from 'ioredis';
import type { RedisOptions } from '../config/schema.js';
import { within } from '../within.js';

export type RedisClient = Redis | Cluster;

/**
 * Opens the engine's Redis connection. Commands issued while Redis is down wait in ioredis' offline
 * queue and are retried on reconnect; the publisher bounds how many may be pending.
 */
export function connectRedis(options: Pick<RedisOptions, 'url' | 'cluster'>, name = 'voc-engine', commandTimeoutMs?: number): RedisClient {
  const common = {
    connectionName: name,
    // The engine's writes pass redis.commandTimeoutMs; blocking readers (voc alerts: XREAD BLOCK) pass none.
    ...(commandTimeoutMs !== undefined ? { commandTimeout: commandTimeoutMs } : {}),
    // Keep retrying forever with a capped backoff: Redis outages must not end calls.
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    // Writes issued while Redis is down wait for the reconnect (bounded by commandTimeout and the
    // publisher's maxPendingWrites) instead of failing after a couple of reconnect attempts.
    maxRetriesPerRequest: null,
    lazyConnect: false,
  };
  let client: RedisClient;
  if (options.cluster) {
    const seeds = options.url.split(',').map((u) => {
      const parsed = new URL(u.trim());
      return { host: parsed.hostname, port: Number(parsed.port || 6379) };
    });
    client = new Cluster(seeds, { redisOptions: common, clusterRetryStrategy: common.retryStrategy });
  } else {
    client = new Redis(options.url, common);
  }
  // Outages are reported once by logRedisOutages / RedisHealth; without a listener ioredis would print
  // every failed reconnect of every connection to stderr.
  client.on('error', () => {});
  return client;
}

/**
 * QUIT, or a plain disconnect when Redis does not answer within `timeoutMs`: a command queued while
 * Redis is down would otherwise wait for it indefinitely and hold up the process's exit.
 */
export async function closeRedis(client: RedisClient, timeoutMs = 1000): Promise<void> {
  await within(client.quit(), timeoutMs);
  client.disconnect();
}

/** Redis `status` as ready/not-ready for health checks. */
export function isRedisReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

/** Redis URLs may carry a password; never log or print it. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
