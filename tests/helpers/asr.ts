import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateTinyModel, type TinyModelOptions } from '../../src/asr/tiny-model/generate.js';
import type { AsrResult, AsrStream } from '../../src/asr/types.js';
import { VoskAsrEngine } from '../../src/asr/vosk-engine.js';
import { asrSchema, modelSchema, type AsrOptions } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';

export const MODEL_RATE = 16_000;

/** A fresh tiny model in a temp dir; `remove()` deletes it. */
export function tempTinyModel(options: TinyModelOptions = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'voc-asr-model-'));
  generateTinyModel(dir, options);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory. */
export function memoryLogger(level: 'debug' | 'info' | 'warn' = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}

export interface TestEngine {
  engine: VoskAsrEngine;
  metrics: EngineMetrics;
  lines: LogLine[];
}

export async function openEngine(modelDir: string, asr: Partial<AsrOptions> = {}): Promise<TestEngine> {
  const metrics = new EngineMetrics({ defaults: false });
  const { log, lines } = memoryLogger('info');
  const engine = await VoskAsrEngine.open({
    model: modelSchema.parse({ path: modelDir, autoDownload: false }),
    asr: asrSchema.parse({ workers: 2, ...asr }),
    metrics,
    log,
  });
  return { engine, metrics, lines };
}

/** Everything a stream emits, and a promise that settles when results$ completes or errors. */
export function record(stream: AsrStream): { results: AsrResult[]; done: Promise<void> } {
  const results: AsrResult[] = [];
  const done = new Promise<void>((resolve, reject) =>
    stream.results$.subscribe({ next: (r) => results.push(r), error: reject, complete: () => resolve() }),
  );
  return { results, done };
}

export function silence(ms: number, rate = MODEL_RATE): Int16Array {
  return new Int16Array(Math.round((ms * rate) / 1000));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes `audio` in telephony-sized packets; returns how many samples were accepted. */
export function writePackets(stream: AsrStream, audio: Int16Array, packetMs = 20, rate = MODEL_RATE): number {
  const size = Math.round((packetMs * rate) / 1000);
  let accepted = 0;
  for (let i = 0; i < audio.length; i += size) {
    const packet = audio.subarray(i, i + size);
    if (stream.write(packet)) accepted += packet.length;
  }
  return accepted;
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const finals = (results: AsrResult[]) => results.filter((r) => r.final);
export const partials = (results: AsrResult[]) => results.filter((r) => !r.final);
