import type { Argv } from 'yargs';
import type { Config } from '../config/schema.js';
import { connectRedis, type RedisClient } from '../publish/redis-connection.js';
import { RedisHealth } from '../publish/redis-health.js';
import { loadCliConfig } from './config.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { redisUnreachableMessage } from './redis-hint.js';

/** Options shared by the commands that read the cross-call layer (`voc drivers`, `voc spikes`). */
export interface VocRedisArgs {
  'redis-url'?: string;
  prefix?: string;
  'connect-timeout': number;
}

export function vocRedisOptions<T>(y: Argv<T>): Argv<T & VocRedisArgs> {
  return y
    .option('redis-url', { type: 'string', describe: 'Redis to read (default: redis.url of the config)' })
    .option('prefix', { type: 'string', describe: 'Key prefix (default: redis.prefix of the config)' })
    .option('connect-timeout', { type: 'number', default: 5000, describe: 'Give up (exit 4) when Redis does not answer within this many ms' })
    .check((a) => {
      if (!Number.isFinite(a['connect-timeout']) || a['connect-timeout'] < 0) throw new UsageError('--connect-timeout must be a number of ms');
      return true;
    }) as Argv<T & VocRedisArgs>;
}

/** Connects (exit 4 with a hint when Redis does not answer), runs `work`, disconnects. */
export async function withVocRedis<R>(args: VocRedisArgs, name: string, work: (redis: RedisClient, config: Config, prefix: string) => Promise<R>): Promise<R> {
  const { config } = loadCliConfig();
  const redisOptions = { ...config.redis, ...(args['redis-url'] ? { url: args['redis-url'] } : {}), ...(args.prefix ? { prefix: args.prefix } : {}) };
  const redis = connectRedis(redisOptions, name);
  const health = new RedisHealth(redis, { intervalMs: 1000, timeoutMs: 1000 });
  try {
    if (!(await health.waitUntilReachable(args['connect-timeout']))) throw new CliError(EXIT.redis, redisUnreachableMessage(redisOptions.url, health.lastError));
    return await work(redis, config, redisOptions.prefix);
  } finally {
    health.stop();
    redis.disconnect();
  }
}

/** `90s`, `30m`, `24h`, `7d` or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: ${JSON.stringify(text)} (use e.g. 30m, 24h, 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (!(ms >= 1000) || ms > 400 * 86_400_000) throw new UsageError('a period must be between 1s and 400d');
  return ms;
}
