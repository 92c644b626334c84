import { pino } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CallEvent } from '../../events/schema.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { summaryFile } from '../../publish/file-publisher.js';
import { CliError, EXIT } from '../errors.js';
import { formatAlert, formatDriver, formatSummary, formatTranscript, formatWarning, formatWithdrawn } from '../format.js';
import type { CliIo } from '../io.js';
import { openReplayEngineForCli, type ReplayEngine } from './engine.js';
import { resolveInputs, type ReplayInput } from './inputs.js';
import { playInput } from './play.js';
import type { CallSession } from '../../session/types.js';
import { Pacer, type PaceMode } from './pacer.js';
import { ReplayProgress } from './progress.js';
import { Interrupt } from '../interrupt.js';

export interface ReplayOptions {
  target: string;
  parties: string[] | undefined;
  /** undefined: as fast as the recognizers keep up. */
  speed: number | undefined;
  rules: string[] | undefined;
  out: string;
  redis: boolean;
  json: boolean;
  partials: boolean;
  progress: boolean;
  language: string;
  logLevel: Config['logging']['level'];
}

/** Audio per chunk: telephony's 20 ms when paced like a live call, larger when going flat out. */
const PACED_CHUNK_MS = 20;
const ASAP_CHUNK_MS = 100;
const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * `voc replay`: each recording becomes a call on the engine (protocol 'replay'), one after the other;
 * events are printed as they happen and each summary is written to `<out>/<callId>.summary.json`.
 * Ctrl-C ends the current call as cut short (its summary is still written); a second one exits at once.
 */
export async function runReplay(config: Config, options: ReplayOptions, io: CliIo): Promise<void> {
  const { inputs, problems } = await resolveInputs(options.target, {
    allowedSampleRates: config.limits.allowedSampleRates,
    maxParties: config.limits.maxParties,
    parties: options.parties,
  });
  if (problems.length > 0) {
    for (const p of problems) io.err(p);
    throw new CliError(EXIT.failure, `${problems.length} recording(s) cannot be replayed; nothing was analyzed`);
  }

  // Logs go to stderr: stdout carries the events.
  const log = createLogger(options.logLevel, pino.destination({ fd: 2, sync: true }));
  // Transcripts alone need no model.
  const replay = await openEngine(config, options, inputs.some((i) => i.kind === 'audio'), log);
  // First SIGINT/SIGTERM: finish the current call as cut short and stop. Second: exit at once.
  const interrupt = new Interrupt((signal) =>
    process.stderr.write(`\nvoc: ${signal}: ending the current call (its summary is still written); press Ctrl-C again to quit at once\n`),
  );
  const progress = new ReplayProgress(io, inputs.reduce((sum, i) => sum + i.durationMs, 0), options.progress);
  const mode: PaceMode = options.speed === undefined ? { kind: 'asap', maxBacklogMs: config.asr.maxQueueMs / 2 } : { kind: 'speed', factor: options.speed };
  const failed: string[] = [];
  try {
    for (const input of inputs) {
      if (interrupt.signal) break;
      progress.startFile(input.callId);
      try {
        await replayOne(input, replay, new Pacer(mode, replay.backlogMs), options, progress, interrupt);
      } catch (err) {
        // One bad recording does not stop the others.
        failed.push(`${input.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    progress.stop();
    interrupt.dispose();
    await replay.close();
  }
  for (const f of replay.fileFailures()) failed.push(`${summaryFile(options.out, f.callId)}: cannot write: ${f.error}`);
  for (const f of failed) io.err(f);
  if (interrupt.signal) throw new CliError(interrupt.exitCode, `interrupted by ${interrupt.signal}: the call in progress was ended as cut short`);
  if (failed.length > 0) throw new CliError(EXIT.failure, `${failed.length} recording(s) failed`);
}

function openEngine(config: Config, options: ReplayOptions, audio: boolean, log: Logger): Promise<ReplayEngine> {
  return openReplayEngineForCli(
    config,
    { outDir: options.out, redis: options.redis, rulesFiles: options.rules, redisConnectTimeoutMs: REDIS_CONNECT_TIMEOUT_MS, asr: audio },
    log,
  );
}

function replayOne(input: ReplayInput, replay: ReplayEngine, pacer: Pacer, options: ReplayOptions, progress: ReplayProgress, interrupt: Interrupt): Promise<void> {
  return playInput(input, replay, pacer, {
    language: options.language,
    chunkMs: options.speed === undefined ? ASAP_CHUNK_MS : PACED_CHUNK_MS,
    stopRequested: () => interrupt.signal !== undefined,
    onAdvance: (ms) => progress.advance(ms),
    onSession: (session) => printEvents(session, options, progress),
  });
}

function printEvents(session: CallSession, options: ReplayOptions, progress: ReplayProgress): void {
  session.events$.subscribe((event) => {
    const line = describe(event, options);
    if (line !== undefined) progress.line(event.type === 'summary' && !options.json ? `${line}  file=${summaryFile(options.out, event.callId)}` : line);
  });
}

function describe(event: CallEvent, options: ReplayOptions): string | undefined {
  if (options.json) return event.type === 'transcript' && !event.final && !options.partials ? undefined : JSON.stringify(event);
  switch (event.type) {
    case 'transcript':
      return event.final || options.partials ? formatTranscript(event) : undefined;
    case 'alert':
      return formatAlert(event);
    case 'alert_withdrawn':
      return formatWithdrawn(event);
    case 'driver':
      return formatDriver(event);
    case 'warning':
      return formatWarning(event);
    case 'summary':
      return formatSummary(event);
  }
}
