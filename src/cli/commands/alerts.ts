import type { CommandModule } from 'yargs';
import type { AlertSeverity } from '../../events/schema.js';
import { RedisKeys } from '../../publish/keys.js';
import { connectRedis, redactUrl, type RedisClient } from '../../publish/redis-connection.js';
import { RedisHealth } from '../../publish/redis-health.js';
import type { AlertStreamEvent } from '../../events/alert-wire.js';
import { follow, lastId, readAll, readLast, type FeedEntry } from '../alert-feed.js';
import { AlertFilter, SEVERITIES } from '../alert-filter.js';
import { loadCliConfig } from '../config.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { formatAlert, formatWithdrawn } from '../format.js';
import type { CliIo } from '../io.js';
import { redisUnreachableMessage } from '../redis-hint.js';

interface AlertsArgs {
  'from-start'?: boolean;
  last?: number;
  category: string[];
  severity?: AlertSeverity;
  call?: string;
  follow: boolean;
  json: boolean;
  'redis-url'?: string;
  prefix?: string;
  'connect-timeout': number;
}

/** XREAD BLOCK timeout: how often a follow loop wakes up to notice Ctrl-C. */
const BLOCK_MS = 1000;
const RETRY_MS = 1000;

/**
 * `voc alerts`: the supervisor's live console. Reads the global alert stream in Redis (every alert and
 * withdrawal of every instance sharing the prefix), filters, and prints one line per event.
 */
export function alertsCommand(io: CliIo): CommandModule<object, AlertsArgs> {
  return {
    command: 'alerts',
    describe: 'Follow the live alert stream in Redis (one line per alert or withdrawal)',
    builder: (y) =>
      y
        .option('from-start', { type: 'boolean', describe: 'Print the whole stream first (XRANGE), then follow' })
        .option('last', { type: 'number', describe: 'Print the last N matching events first (XREVRANGE), then follow' })
        .option('category', { type: 'string', array: true, default: [], describe: 'Only these categories (repeatable)' })
        .option('severity', { choices: SEVERITIES, describe: 'Only alerts of this severity or higher' })
        .option('call', { type: 'string', describe: 'Only this callId' })
        .option('follow', { type: 'boolean', default: true, describe: 'Keep waiting for new alerts (--no-follow: print history and exit)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print each event as one JSON line' })
        .option('redis-url', { type: 'string', describe: 'Redis to read (default: redis.url of the config)' })
        .option('prefix', { type: 'string', describe: 'Key prefix (default: redis.prefix of the config)' })
        .option('connect-timeout', { type: 'number', default: 5000, describe: 'Give up (exit 4) when Redis does not answer within this many ms' })
        .check((a) => {
          if (a['from-start'] && a.last !== undefined) throw new UsageError('--from-start and --last exclude each other');
          if (a.last !== undefined && (!Number.isInteger(a.last) || a.last < 1)) throw new UsageError('--last must be a whole number of at least 1');
          if (!Number.isFinite(a['connect-timeout']) || a['connect-timeout'] < 0) throw new UsageError('--connect-timeout must be a number of ms');
          return true;
        })
        .example('$0 alerts --severity high', 'high and critical alerts as they happen')
        .example('$0 alerts --last 20 --no-follow', 'the 20 most recent alerts')
        .example('$0 alerts --call call-42 --from-start', "one call's alerts, then follow it"),
    handler: async (args) => {
      const { config } = loadCliConfig();
      const redisOptions = { ...config.redis, ...(args['redis-url'] ? { url: args['redis-url'] } : {}), ...(args.prefix ? { prefix: args.prefix } : {}) };
      const redis = connectRedis(redisOptions, 'voc-alerts');
      const health = new RedisHealth(redis, { intervalMs: 1000, timeoutMs: 1000 });
      let stopped = false;
      const stop = () => {
        stopped = true;
        redis.disconnect(); // ends a pending XREAD BLOCK at once
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        if (!(await health.waitUntilReachable(args['connect-timeout'])))
          throw new CliError(EXIT.redis, redisUnreachableMessage(redisOptions.url, health.lastError));
        await runConsole(redis, new RedisKeys(redisOptions.prefix).alertStream(), args, io, () => stopped, redactUrl(redisOptions.url));
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        redis.disconnect();
      }
    },
  };
}

async function runConsole(redis: RedisClient, key: string, args: AlertsArgs, io: CliIo, stopped: () => boolean, url: string): Promise<void> {
  const filter = new AlertFilter({ categories: args.category, minSeverity: args.severity, callId: args.call });
  const print = (entry: FeedEntry) => {
    if ('invalid' in entry) return io.err(`skipped stream entry ${entry.id}: ${entry.invalid}`);
    const { event } = entry;
    if (!filter.accepts(event)) return;
    if (args.json) return io.out(JSON.stringify(event));
    io.out(event.type === 'alert' ? formatAlert(event, { time: true }) : formatWithdrawn(event, { time: true }));
  };

  // History ends at the newest entry now; following starts right after it, so nothing is shown twice or lost.
  const cursor = await lastId(redis, key);
  if (args['from-start']) {
    for await (const entry of readAll(redis, key, cursor)) print(entry);
  } else if (args.last !== undefined) {
    // The stateless part of the filter picks the window; `print` then applies all of it in time order.
    const probe = new AlertFilter({ categories: args.category, callId: args.call });
    const min = args.severity ? SEVERITIES.indexOf(args.severity) : 0;
    const wanted = (e: AlertStreamEvent) => probe.accepts(e) && (e.type !== 'alert' || SEVERITIES.indexOf(e.severity) >= min);
    for (const entry of await readLast(redis, key, cursor, args.last, wanted)) print(entry);
  }
  if (!args.follow) return;
  io.err(`voc alerts: following ${key} on ${url} (Ctrl-C to stop)`);
  let warned = false;
  for await (const entry of follow(redis, key, cursor, {
    blockMs: BLOCK_MS,
    retryMs: RETRY_MS,
    stopped,
    onError: (err) => {
      if (!warned) io.err(`voc: lost Redis (${err.message}); retrying, no alert will be skipped`);
      warned = true;
    },
  })) {
    warned = false;
    print(entry);
  }
}
