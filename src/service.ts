import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { RuleStore } from './analytics/rules/loader.js';
import { VoskAsrEngine } from './asr/vosk-engine.js';
import type { Config } from './config/schema.js';
import { startConsole } from './console/server.js';
import type { IngestContext } from './ingest/adapter.js';
import { startHttpServer, type HttpServerHandle } from './ingest/http-server.js';
import { WS_ADAPTERS } from './ingest/ws-adapters.js';
import { GRPC_CLOSE_GRACE_MS, startGrpcServer } from './ingest/grpc/server.js';
import { packageVersion } from './cli/package-info.js';
import { createLogger, type Logger } from './log/logger.js';
import { readEngineStats } from './metrics/engine-stats.js';
import { EngineMetrics } from './metrics/metrics.js';
import { closeRedis, connectRedis, redactUrl, type RedisClient } from './publish/redis-connection.js';
import { within } from './within.js';
import { logRedisOutages, RedisHealth } from './publish/redis-health.js';
import { CrashRecovery } from './publish/crash-recovery.js';
import { RedisCallPublisher } from './publish/redis-publisher.js';
import { SummarySpool } from './publish/summary-spool.js';
import { configuredAggregator } from './publish/voc-aggregator.js';
import { SpikeMonitor } from './publish/voc-spikes.js';
import type { CallEngine } from './session/call-engine.js';
import { createConfiguredCallEngine } from './session/configured-call-engine.js';

export interface ServiceOptions {
  log?: Logger;
  metrics?: EngineMetrics;
}

export interface RunningService {
  readonly httpPort: number;
  readonly grpcPort: number | undefined;
  readonly engine: CallEngine;
  /** The model and its ASR worker threads. */
  readonly asr: VoskAsrEngine;
  readonly metrics: EngineMetrics;
  /** The rules in force (hot-reloaded from config.analytics.rulesFiles). */
  readonly rules: RuleStore;
  /** Spike detection across calls (voc.enabled); only the Redis lease holder evaluates. */
  readonly spikes: SpikeMonitor | undefined;
  /** Whether Redis answers (readiness); `voc serve` waits on it at start to report an unreachable Redis. */
  readonly redis: RedisHealth;
  /** server.instanceId in force (configured, else the host name). */
  readonly instance: string;
  /** This process's lease and the recovery of calls a dead process of this instance left active. */
  readonly recovery: CrashRecovery;
  /** Writes spooled summaries to Redis now (also done at start and at every lease renewal). */
  replaySpool(): Promise<{ replayed: number; alreadyThere: number; failed: number }>;
  /** Graceful: stop accepting, let calls finish until `drainTimeoutMs`, cut the rest short, flush Redis. */
  shutdown(drainTimeoutMs?: number): Promise<{ finished: number; cutShort: number }>;
  /** Immediate teardown (tests): ends active calls as 'shutdown', then closes everything. */
  close(): Promise<void>;
}

/** The composition root: builds every layer from the validated config and starts serving. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const startedAtMs = performance.now();
  const log = options.log ?? createLogger(config.logging.level);
  const metrics = options.metrics ?? new EngineMetrics({ eventLoopSampleMs: config.metrics.eventLoopSampleMs });
  // Invalid rule files stop the start (RuleSetError names file, rule and field); later edits reload live.
  const rules = new RuleStore(config.analytics.rulesFiles, { debounceMs: config.analytics.rules.reloadDebounceMs });
  await rules.load();
  rules.watch();
  rules.events$.subscribe((event) => {
    if (event.type === 'reloaded') log.info({ version: event.version, categories: event.categories }, 'rules reloaded');
    else log.error({ err: event.error.message }, 'rule files invalid; previous rules stay in force');
  });
  const asr = await VoskAsrEngine.open({ model: config.model, asr: config.asr, metrics, log });
  const redis: RedisClient = connectRedis(config.redis, 'voc-engine', config.redis.commandTimeoutMs);
  logRedisOutages(redis, log, redactUrl(config.redis.url));
  // Readiness needs Redis answering PINGs, not just a socket marked ready.
  const redisHealth = new RedisHealth(redis, { intervalMs: config.redis.healthIntervalMs, timeoutMs: config.redis.healthIntervalMs });
  redisHealth.start();
  const instance = resolveInstanceId(config.server.instanceId);
  const aggregator = configuredAggregator(redis, config, () => rules.current(), metrics);
  const spool = new SummarySpool(resolve(config.redis.spool.dir), config.redis.spool);
  let replaySpool: () => Promise<{ replayed: number; alreadyThere: number; failed: number }> = async () => ({ replayed: 0, alreadyThere: 0, failed: 0 });
  const recovery = new CrashRecovery({
    redis,
    prefix: config.redis.prefix,
    retentionMs: config.redis.retentionMs,
    recentCallsMax: config.redis.recentCallsMax,
    instance,
    leaseMs: config.server.instanceLeaseMs,
    beforeSweep: async () => void (await replaySpool()),
    metrics,
    log,
  });
  const publisher = new RedisCallPublisher(
    redis,
    { ...config.redis, instance, processCallsKey: recovery.callsKey },
    metrics,
    log,
    config.limits.maxCallDurationMs + config.redis.retentionMs,
    aggregator,
    spool,
  );
  replaySpool = async () => {
    const result = await publisher.replaySpool();
    if (result.replayed + result.alreadyThere + result.failed > 0) log.info({ ...result, dir: spool.dir }, 'summary spool replayed');
    return result;
  };
  log.info({ instance, process: recovery.process, spool: spool.dir }, 'instance identity');
  // The spool replays, then calls left active by dead processes of this instance are interrupted; in the background, as Redis allows.
  recovery.start();

  // The spike lease names one process, not the instance (two processes may share an instanceId).
  const spikes = config.voc.enabled ? new SpikeMonitor({ redis, prefix: config.redis.prefix, options: config.voc, instance: `${instance}/${recovery.process}`, rules: () => rules.current(), metrics, log }) : undefined;
  spikes?.start();

  const engine = createConfiguredCallEngine({ config, asr, publisher, metrics, log, rules });
  const ctx: IngestContext = { calls: engine, config, metrics, log };
  const open = config.auth.apiKeys.length === 0;
  if (open)
    log.warn(
      { httpHost: bindHost(config.server.host, open), grpcHost: bindHost(config.grpc.host, open) },
      'no auth.apiKeys configured: every endpoint except AudioHook accepts unauthenticated clients; set auth.apiKeys before exposing the engine',
    );
  const supervisorConsole = config.console.enabled ? await startConsole(config, metrics, log) : undefined;
  const http: HttpServerHandle = await startHttpServer(
    ctx,
    WS_ADAPTERS,
    {
      readiness: async () => {
        // A recognizer created and freed on every ASR worker (cached briefly, time-boxed), not just "loaded at start".
        const model = await asr.checkModel();
        return {
          checks: { model: model.ok, redis: redisHealth.reachable, accepting: engine.accepting },
          ...(model.problem ? { problems: { model: model.problem } } : {}),
        };
      },
      capacity: () => ({ calls: engine.capacity, active: engine.activeCalls }),
    },
    bindHost(config.server.host, open),
    supervisorConsole ? [supervisorConsole.routes] : [],
  );
  const engineVersion = packageVersion();
  // Read afresh at each GetStats: the engine's live state and the same metrics /metrics exports.
  const stats = () =>
    readEngineStats({
      metrics,
      calls: engine,
      asr: { modelName: asr.modelName, sampleRate: asr.sampleRate, workers: asr.pool.size, realTimeFactor: asr.capacity?.realTimeFactor, backlogSeconds: asr.pool.maxBacklogSeconds },
      engineVersion,
      startedAtMs,
    });
  const grpc = config.grpc.enabled ? await startGrpcServer(ctx, bindHost(config.grpc.host, open), stats) : undefined;
  log.info({ httpPort: http.port, grpcPort: grpc?.port, tls: config.server.tls !== undefined }, 'voc-engine serving');

  let closed = false;
  const shutdown = async (drainTimeoutMs = config.shutdown.drainTimeoutMs) => {
    engine.startDraining();
    grpc?.setServing(false);
    const result = await engine.drain(drainTimeoutMs);
    if (!closed) {
      closed = true;
      // A hung Redis must not hold the exit: every step that waits on Redis is bounded, barely at all when Redis is known to be away.
      const grace = redisHealth.reachable ? Math.min(REDIS_STEP_MS, config.redis.commandTimeoutMs) : REDIS_AWAY_STEP_MS;
      await within(supervisorConsole?.close(), grace);
      await http.close();
      await grpc?.close(GRPC_CLOSE_GRACE_MS);
      await within(spikes?.stop(), grace);
      const unfinished = await publisher.flush(config.shutdown.flushTimeoutMs);
      if (unfinished > 0) {
        const spooled = await publisher.spoolUnconfirmedSummaries();
        log.warn({ unfinished, spooledSummaries: spooled, dir: spool.dir }, 'redis writes still pending at exit; unconfirmed summaries spooled for the next start');
      }
      // With writes still pending, the lease is left to expire: the next start replays the spool, then recovers what is left.
      await within(recovery.stop(unfinished === 0), grace);
      redisHealth.stop();
      await closeRedis(redis, grace);
      await asr.close();
      rules.close();
      // The event-loop probe wakes the loop every eventLoopSampleMs; it is ours to stop only when we made the metrics.
      if (!options.metrics) metrics.eventLoopDelay?.stop();
    }
    return result;
  };
  return {
    httpPort: http.port,
    grpcPort: grpc?.port,
    engine,
    asr,
    metrics,
    rules,
    spikes,
    redis: redisHealth,
    instance,
    recovery,
    replaySpool: () => replaySpool(),
    shutdown,
    close: async () => {
      await shutdown(0);
    },
  };
}

/** How long each Redis step of the shutdown may take before it is abandoned (a hung Redis). */
const REDIS_STEP_MS = 2000;
const REDIS_AWAY_STEP_MS = 100;

/**
 * server.instanceId, else the host name: stable across restarts of one instance on one host (a
 * container's host name is its id; set VOC_INSTANCE_ID where that changes, e.g. a StatefulSet pod name).
 */
export function resolveInstanceId(configured: string | undefined): string {
  if (configured) return configured;
  const host = hostname().replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, 128);
  return host || 'voc-engine';
}

/** An explicitly configured host wins; otherwise an engine without API keys listens on loopback only. */
export function bindHost(configured: string | undefined, open: boolean): string {
  return configured ?? (open ? '127.0.0.1' : '0.0.0.0');
}

/** Redis URLs may carry a password; never log it. (Lives with the connection so light CLI commands can use it.) */
export { redactUrl };
