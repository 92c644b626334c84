import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { RedisKeys } from '../publish/keys.js';
import { VocReader } from '../publish/voc-reader.js';
import { closeRedis, connectRedis } from '../publish/redis-connection.js';
import { loadConsoleAssets } from './assets.js';
import { ConsoleAuth } from './auth.js';
import { LiveFeed } from './live-feed.js';
import { ConsoleRoutes } from './routes.js';
import { ConsoleStore } from './store.js';

export interface ConsoleServer {
  routes: ConsoleRoutes;
  close(): Promise<void>;
}

/**
 * Builds the supervisor console: its own Redis connections (reads and acks, a subscriber, a blocking
 * alert-stream reader), so console traffic never queues behind or ahead of the engine's writes.
 */
export async function startConsole(config: Config, metrics: EngineMetrics, log: Logger): Promise<ConsoleServer> {
  const options = config.console;
  const keys = new RedisKeys(config.redis.prefix);
  const redis = connectRedis(config.redis, 'voc-console', config.redis.commandTimeoutMs);
  const feed = new LiveFeed(connectRedis(config.redis, 'voc-console-sub'), connectRedis(config.redis, 'voc-console-feed'), keys, options, metrics, log);
  feed.start();
  const assets = loadConsoleAssets();
  if (!assets) log.warn({}, 'console bundle not found (dist/console); /console answers 503 until `npm run build`');
  const routes = new ConsoleRoutes({
    auth: new ConsoleAuth(config.auth.apiKeys, redis, keys, options.sessionTtlMs),
    store: new ConsoleStore(redis, keys, {
      maxAlertsPerRead: options.maxAlertsPerRead,
      maxBoardCalls: options.maxBoardCalls,
      ackTtlMs: config.limits.maxCallDurationMs + config.redis.retentionMs,
    }, new VocReader(redis, config.redis.prefix, config.voc.bucketMs)),
    feed,
    assets,
    maxBodyBytes: options.maxBodyBytes,
    log,
  });
  return {
    routes,
    close: async () => {
      routes.close();
      await feed.stop();
      await closeRedis(redis);
    },
  };
}
