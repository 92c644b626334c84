import { formatIssue, RuleSetError, type RuleSetSnapshot } from '../../analytics/rules/compile.js';
import { RuleStore } from '../../analytics/rules/loader.js';
import { ModelError } from '../../asr/errors.js';
import { VoskAsrEngine } from '../../asr/vosk-engine.js';
import { NoAsrEngine } from '../../asr/no-asr.js';
import type { AsrEngine } from '../../asr/types.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import { EngineMetrics } from '../../metrics/metrics.js';
import { FanOutPublisher, FileCallPublisher } from '../../publish/file-publisher.js';
import { closeRedis, connectRedis, type RedisClient } from '../../publish/redis-connection.js';
import { RedisHealth } from '../../publish/redis-health.js';
import { RedisCallPublisher, type CallPublisher } from '../../publish/redis-publisher.js';
import { configuredAggregator } from '../../publish/voc-aggregator.js';
import type { CallEngine } from '../../session/call-engine.js';
import { createConfiguredCallEngine } from '../../session/configured-call-engine.js';
import { CliError, EXIT } from '../errors.js';
import { redisUnreachableMessage } from '../redis-hint.js';

export interface ReplayEngineOptions {
  outDir: string;
  /** Also publish to Redis (config.redis), as a live call would. */
  redis: boolean;
  /** Rule files for this run (--rules); default: config.analytics.rulesFiles. */
  rulesFiles: string[] | undefined;
  /** With `redis`: give up (CliError, exit 4) when Redis does not answer within this many ms. */
  redisConnectTimeoutMs: number;
  /** Load the model: false when every call is a transcript (text calls need no recognizer). */
  asr: boolean;
}

export interface ReplayEngine {
  engine: CallEngine;
  metrics: EngineMetrics;
  /** The rules the calls run with (the files' snapshot at open). */
  rules(): RuleSetSnapshot;
  /** Milliseconds of audio waiting for the recognizers (all parties). */
  backlogMs(): Promise<number>;
  /** Written summaries that could not be written. */
  fileFailures(): ReadonlyArray<{ callId: string; error: string }>;
  close(): Promise<void>;
}

/**
 * The live engine, assembled for recordings: the same CallEngine, sessions, recognizer and analytics
 * as `voc serve` (built with the same factories as src/service.ts), with summaries written to files
 * and, with --redis, everything published as a live call would be.
 * Throws RuleSetError for invalid rule files and ModelError for a missing or broken model.
 */
export async function openReplayEngine(config: Config, options: ReplayEngineOptions, log: Logger): Promise<ReplayEngine> {
  const rules = new RuleStore(options.rulesFiles ?? config.analytics.rulesFiles, { debounceMs: config.analytics.rules.reloadDebounceMs });
  await rules.load();
  const metrics = new EngineMetrics({ defaults: false });

  const files = new FileCallPublisher(options.outDir, log);
  let redis: RedisClient | undefined;
  let redisPublisher: RedisCallPublisher | undefined;
  let publisher: CallPublisher = files;
  if (options.redis) {
    redis = connectRedis(config.redis, 'voc-replay');
    const health = new RedisHealth(redis, { intervalMs: config.redis.healthIntervalMs, timeoutMs: config.redis.healthIntervalMs });
    if (!(await health.waitUntilReachable(options.redisConnectTimeoutMs))) {
      redis.disconnect();
      rules.close();
      throw new CliError(EXIT.redis, redisUnreachableMessage(config.redis.url, health.lastError));
    }
    // Replayed calls count across calls like live ones (docs/voc.md); spikes are left to the live engines.
    const aggregator = configuredAggregator(redis, config, () => rules.current(), metrics);
    redisPublisher = new RedisCallPublisher(redis, config.redis, metrics, log, config.limits.maxCallDurationMs + config.redis.retentionMs, aggregator);
    publisher = new FanOutPublisher([files, redisPublisher]);
  }
  let asr: AsrEngine;
  try {
    asr = options.asr ? await VoskAsrEngine.open({ model: config.model, asr: config.asr, metrics, log }) : new NoAsrEngine();
  } catch (err) {
    redis?.disconnect();
    rules.close();
    throw err;
  }

  const engine = createConfiguredCallEngine({ config, asr, publisher, metrics, log, rules });
  return {
    engine,
    metrics,
    rules: () => rules.current(),
    backlogMs: async () => {
      const value = (await metrics.asrQueueDepthSeconds.get()).values[0]?.value ?? 0;
      return value * 1000;
    },
    fileFailures: () => files.failures,
    close: async () => {
      await redisPublisher?.flush();
      if (redis) await closeRedis(redis);
      await asr.close();
      rules.close();
    },
  };
}

/** openReplayEngine for a command: a missing model exits 3, invalid rule files exit 1, each with its message. */
export async function openReplayEngineForCli(config: Config, options: ReplayEngineOptions, log: Logger): Promise<ReplayEngine> {
  try {
    return await openReplayEngine(config, options, log);
  } catch (err) {
    if (err instanceof ModelError) throw new CliError(EXIT.model, err.message);
    if (err instanceof RuleSetError) throw new CliError(EXIT.failure, `invalid rule files:\n${err.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    throw err;
  }
}
