import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateTinyModel } from '../../../asr/tiny-model/generate.js';
import type { Config } from '../../../config/schema.js';
import type { AlertEvent } from '../../../events/schema.js';
import { createLogger } from '../../../log/logger.js';
import { openReplayEngine, type ReplayEngine } from '../../replay/engine.js';
import { Pacer } from '../../replay/pacer.js';
import { buildCalls, CALL_ORDERS, LINE_FORMATS, lineAudio, type CallLayout, type EvalCall, type LineFormat } from './calls.js';
import type { ToneDataset } from './dataset.js';
import { scoreCall, summarizeRun, type FileOutcome, type RunResult } from './score.js';

/**
 * `voc eval tone`: every call of the set through the live engine (the same CallEngine, sessions and
 * configured analytics as `voc serve`, assembled as `voc replay` does), each raised-tone alert
 * collected, and every file scored. Raised tone is acoustic, so the recognizer is the generated tiny
 * model: it costs next to nothing and does not change what the detector sees.
 */

export interface ToneEvalOptions {
  layout: CallLayout;
  formats: readonly LineFormat[];
  logLevel: Config['logging']['level'];
  /** Called after each call (for progress on stderr). */
  onCall?: (done: number, total: number) => void;
}

/** One raised-tone alert as the evaluation keeps it. */
export interface EvalAlert {
  startMs: number;
  endMs: number;
  severity: string;
  details: Record<string, unknown> | undefined;
}

export interface ToneEvalReport {
  dataset: string;
  speakers: number;
  files: number;
  layout: CallLayout;
  runs: RunResult[];
  outcomes: Array<{ order: string; format: string } & FileOutcome>;
}

const CHUNK_MS = 100;

export async function runToneEval(config: Config, dataset: ToneDataset, options: ToneEvalOptions): Promise<ToneEvalReport> {
  const calls = await buildCalls(dataset, options.layout);
  const work = mkdtempSync(join(tmpdir(), 'voc-eval-tone-'));
  const log = createLogger(options.logLevel, pino.destination({ fd: 2, sync: true }));
  let replay: ReplayEngine | undefined;
  try {
    const modelDir = join(work, 'model');
    generateTinyModel(modelDir);
    const evalConfig: Config = { ...config, model: { ...config.model, path: modelDir, autoDownload: false } };
    replay = await openReplayEngine(evalConfig, { outDir: join(work, 'summaries'), redis: false, rulesFiles: undefined, redisConnectTimeoutMs: 0, asr: true }, log);
    const runs: RunResult[] = [];
    const outcomes: ToneEvalReport['outcomes'] = [];
    const total = calls.length * options.formats.length;
    let done = 0;
    for (const order of CALL_ORDERS) {
      for (const format of options.formats) {
        const runOutcomes: FileOutcome[] = [];
        for (const call of calls.filter((c) => c.order === order)) {
          const alerts = await playCall(replay, call, format, config);
          runOutcomes.push(...scoreCall(call.segments, alerts));
          options.onCall?.(++done, total);
        }
        runs.push(summarizeRun(order, format, runOutcomes));
        outcomes.push(...runOutcomes.map((o) => ({ order, format, ...o })));
      }
    }
    return { dataset: dataset.dir, speakers: dataset.speakers.length, files: dataset.files.length, layout: options.layout, runs, outcomes };
  } finally {
    await replay?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One call as a live call: audio in 100 ms chunks, paced by the recognizer backlog; its raised-tone alerts. */
async function playCall(replay: ReplayEngine, call: EvalCall, format: LineFormat, config: Config): Promise<EvalAlert[]> {
  const audio = lineAudio(call, format);
  const session = replay.engine.openCall({
    callId: `eval-${call.speaker.replace(/[^A-Za-z0-9]/g, '-')}-${call.order}-${format}`,
    protocol: 'replay',
    format: { encoding: audio.encoding, sampleRate: audio.sampleRate, channels: 1 },
    parties: ['customer'],
    language: 'en',
    metadata: { eval: 'tone' },
  });
  const alerts: EvalAlert[] = [];
  session.events$.subscribe((event) => {
    if (event.type === 'alert' && event.kind === 'raised_tone') alerts.push(toEvalAlert(event));
  });
  const pacer = new Pacer({ kind: 'asap', maxBacklogMs: config.asr.maxQueueMs / 2 }, replay.backlogMs);
  const bytesPerMs = (audio.sampleRate / 1000) * (audio.encoding === 'pcm16' ? 2 : 1);
  const chunkBytes = CHUNK_MS * bytesPerMs;
  for (let at = 0; at < audio.bytes.length; at += chunkBytes) {
    await pacer.before(at / bytesPerMs);
    session.pushAudio(audio.bytes.subarray(at, Math.min(at + chunkBytes, audio.bytes.length)));
  }
  await session.stop('stop');
  return alerts;
}

function toEvalAlert(event: AlertEvent): EvalAlert {
  return { startMs: event.startMs, endMs: event.endMs, severity: event.severity, details: event.details };
}
