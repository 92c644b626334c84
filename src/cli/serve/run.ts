import { resolve } from 'node:path';
import { RuleSetError, formatIssue } from '../../analytics/rules/compile.js';
import { ModelError } from '../../asr/errors.js';
import type { Config } from '../../config/schema.js';
import { flushLog } from '../../log/flush.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { redactUrl } from '../../publish/redis-connection.js';
import { readModelInfo } from '../../asr/model-info.js';
import { bindHost, startService, type RunningService } from '../../service.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { redisUnreachableMessage } from '../redis-hint.js';
import { ensureModel } from './first-start.js';
import { ShutdownSignals } from './signals.js';

export interface ServeOptions {
  configFile: string | undefined;
  /** Exit (code 4) when Redis has not answered this long after start; undefined: serve, not ready, and keep retrying. */
  redisTimeoutMs: number | undefined;
}

/** Serve says Redis is unreachable after this many health intervals without an answer (it keeps retrying after). */
const REDIS_NOTICE_INTERVALS = 3;
const REDIS_NOTICE_MIN_MS = 1000;
/** After the drain deadline, cut-short calls get this long to write their summaries before the process gives up. */
const FINALIZE_GRACE_MS = 15_000;

/**
 * `voc serve`: start the engine and run until SIGTERM/SIGINT, then shut down gracefully: stop
 * admitting calls (/readyz 503), let active calls finish for shutdown.drainTimeoutMs, end the rest as
 * cut short (endReason 'shutdown', summaries written), flush Redis, exit 0. A second signal exits at once.
 */
export async function runServe(config: Config, options: ServeOptions, io: CliIo): Promise<void> {
  const log = createLogger(config.logging.level);
  const signals = new ShutdownSignals((signal, code) => {
    log.warn({ signal }, 'second signal: exiting now; calls in progress are not finalized');
    void flushLog(log).finally(() => process.exit(code));
  });
  // A process fault (a bug that escaped every per-call handler): log it, end the calls as cut short
  // with their summaries written, and exit 1, rather than dying with calls half-published.
  let fault: unknown;
  const onFault = (err: unknown) => {
    if (fault !== undefined) return;
    fault = err;
    log.fatal({ err }, 'unexpected error outside any call: shutting down');
    signals.request('fault');
  };
  process.on('uncaughtException', onFault);
  process.on('unhandledRejection', onFault);
  try {
    log.info({ configFile: options.configFile, pid: process.pid }, 'voc-engine starting');
    const service = await start(config, log, io);
    if (!(await checkRedis(service, config, options, log, io, signals))) {
      await service.shutdown(0);
      throw new CliError(EXIT.redis, redisUnreachableMessage(config.redis.url, service.redis.lastError));
    }
    for (const line of servingLines(config, service)) io.err(line);
    const reason = await signals.requested;
    const drainTimeoutMs = fault === undefined ? config.shutdown.drainTimeoutMs : 0;
    log.info({ reason, activeCalls: service.engine.activeCalls, drainTimeoutMs }, 'shutting down: no new calls, active calls may finish');
    const giveUp = setTimeout(() => {
      log.error({ afterMs: drainTimeoutMs + FINALIZE_GRACE_MS }, 'shutdown did not complete in time; exiting');
      void flushLog(log).finally(() => process.exit(EXIT.failure));
    }, drainTimeoutMs + FINALIZE_GRACE_MS);
    giveUp.unref();
    const result = await service.shutdown(drainTimeoutMs);
    clearTimeout(giveUp);
    log.info({ finished: result.finished, cutShort: result.cutShort }, 'shutdown complete');
    if (fault !== undefined) throw new CliError(EXIT.failure, 'stopped after an unexpected error (see the fatal log line)');
  } catch (err) {
    if (err instanceof CliError) log.fatal({ exitCode: err.code, reason: err.message }, 'voc-engine stopped');
    throw err;
  } finally {
    signals.dispose();
    process.off('uncaughtException', onFault);
    process.off('unhandledRejection', onFault);
    await flushLog(log);
  }
}

/** First-start model download, then the service; start-up failures become exit codes with clear messages. */
async function start(config: Config, log: Logger, io: CliIo): Promise<RunningService> {
  await ensureModel(config, log, io);
  try {
    return await startService(config, { log });
  } catch (err) {
    if (err instanceof ModelError) throw new CliError(EXIT.model, err.message);
    if (err instanceof RuleSetError)
      throw new CliError(EXIT.config, `invalid rule files (analytics.rulesFiles):\n${err.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw new CliError(EXIT.failure, `cannot listen: ${(err as Error).message} (server.port / grpc.port, or VOC_PORT / VOC_GRPC_PORT)`);
    throw err;
  }
}

/** For a person at the terminal (the log lines are JSON): where the engine listens and what to try next. */
export function servingLines(config: Config, service: Pick<RunningService, 'httpPort' | 'grpcPort'>): string[] {
  const open = config.auth.apiKeys.length === 0;
  const base = `${config.server.tls ? 'https' : 'http'}://${hostForUrl(bindHost(config.server.host, open))}:${service.httpPort}`;
  const grpc = service.grpcPort !== undefined ? ` and gRPC ${hostForUrl(bindHost(config.grpc.host, open))}:${service.grpcPort}` : '';
  const consoleNote = config.console.enabled ? `, supervisor console ${base}/console` : '';
  const tiny = readModelInfo(resolve(config.model.path))?.kind === 'test';
  const port = service.httpPort === 8080 ? '' : `VOC_PORT=${service.httpPort} `;
  return [
    `voc serve: serving on ${base} (WebSocket /v1/stream${consoleNote})${grpc}; stop with Ctrl-C.`,
    `voc serve: next, in another terminal: \`voc sample ${tiny ? '--tiny ' : ''}call.wav && ${port}voc stream call.wav\` streams a sample call${tiny ? ' in the tiny test model\'s tone words' : ''}; \`voc alerts\` shows the alerts.`,
  ];
}

/** 0.0.0.0 listens everywhere; a client on this machine reaches it at 127.0.0.1. */
function hostForUrl(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}

/**
 * Says clearly when Redis is not reachable at start. Without --redis-timeout the engine serves anyway
 * (readiness false, writes buffered, reconnecting) so an orchestrator can start both in any order;
 * with it, returns false when Redis has not answered in time.
 */
async function checkRedis(service: RunningService, config: Config, options: ServeOptions, log: Logger, io: CliIo, signals: ShutdownSignals): Promise<boolean> {
  const notice = Math.max(REDIS_NOTICE_MIN_MS, REDIS_NOTICE_INTERVALS * config.redis.healthIntervalMs);
  const firstWait = Math.min(notice, options.redisTimeoutMs ?? notice);
  if (await service.redis.waitUntilReachable(firstWait)) return true;
  const url = redactUrl(config.redis.url);
  log.error({ url, err: service.redis.lastError }, 'redis unreachable at start; /readyz reports not ready until it answers');
  if (options.redisTimeoutMs === undefined) {
    io.err(`voc serve: ${redisUnreachableMessage(config.redis.url, service.redis.lastError)}`);
    io.err('voc serve: serving anyway: /readyz answers 503 and writes are buffered until Redis answers (retrying).');
    return true;
  }
  // With --redis-timeout the hint comes once, with the exit (the caller's CliError), if Redis stays away.
  const rest = options.redisTimeoutMs - firstWait;
  const reachable = await Promise.race([service.redis.waitUntilReachable(rest), signals.requested.then(() => true)]);
  return reachable;
}
