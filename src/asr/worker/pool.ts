import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log/logger.js';
import type { CallAudioInit, FromWorker, ToWorker, WorkerInit } from './protocol.js';

type StreamMessage = Extract<FromWorker, { stream: number }>;
type CallMessage = Extract<FromWorker, { call: number }>;

/** What the pool tells the stream that owns a recognizer. */
export interface StreamSink {
  onMessage(message: StreamMessage): void;
  /** The worker died: the stream is gone with it. */
  onWorkerLost(reason: string): void;
}

/** What the pool tells the owner of a call's audio processing (asr/call-audio.ts). */
export interface CallSink {
  onMessage(message: CallMessage): void;
  onWorkerLost(reason: string): void;
}

interface Slot {
  index: number;
  worker: Worker;
  /** `pending`: audio sent to the stream and not yet decoded, in samples at the model rate. */
  streams: Map<number, { callId: string; sink: StreamSink; pending: number }>;
  /** Calls' audio processing on this worker. */
  callAudio: Map<number, CallSink>;
  /** Calls pinned to this worker (a call's parties share one worker). */
  calls: Map<string, number>;
  /** Recent decoding time per audio time on this worker (moving average over decoded chunks). */
  realTimeFactor: number;
  probes: Map<number, (reply: Extract<FromWorker, { type: 'probed' }>) => void>;
  checks: Map<number, (ok: boolean) => void>;
}

/** Whether every worker could create a recognizer, and why not. */
export interface RecognizerCheck {
  ok: boolean;
  problem?: string;
}

/** Weight of each decoded chunk in a worker's moving real-time factor (~50 chunks of memory). */
const RTF_SMOOTHING = 0.02;

/** The compiled worker: beside this file in dist/, or dist's copy when this file runs as TypeScript (tests). */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return join(dirname(here), 'asr-worker.js');
  return join(dirname(here), '..', '..', '..', 'dist', 'src', 'asr', 'worker', 'asr-worker.js');
}

/** Worker threads wanted: `asr.workers`, 0 meaning one per CPU core. */
export function workerCount(workers: number, cores: number = availableParallelism()): number {
  return workers > 0 ? workers : Math.max(1, cores);
}

/**
 * The ASR worker threads. Each call is pinned to the least loaded worker (leastLoaded) when its first
 * recognizer opens; its audio, ends and aborts go there, results come back to the stream's sink.
 * A worker that dies takes only its streams with it (their sinks hear onWorkerLost) and is
 * replaced, so later calls find a full pool.
 */
export class AsrWorkerPool {
  private readonly slots: Slot[] = [];
  private nextStream = 1;
  private nextCall = 1;
  private nextProbe = 1;
  private closed = false;
  /** Starting value of each worker's real-time factor until it has decoded something (the probe's). */
  private initialRealTimeFactor = 0.1;

  constructor(
    private readonly init: WorkerInit,
    size: number,
    private readonly log: Logger,
    private readonly onReplaced: () => void = () => undefined,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Calls whose audio processing is open on a worker (a call's end or its worker's loss closes it). */
  get openCalls(): number {
    return this.slots.reduce((n, s) => n + s.callAudio.size, 0);
  }

  /** Audio queued in the workers, per worker, in samples at the model rate. */
  get backlogSamples(): number[] {
    return this.slots.map(backlog);
  }

  /**
   * Time the worker a new call would be pinned to needs to decode the audio it already holds, ms:
   * when it is this far behind, a new call could not keep up.
   */
  get leastBacklogMs(): number {
    const slot = this.leastLoaded();
    return ((backlog(slot) * 1000) / this.init.sampleRate) * slot.realTimeFactor;
  }

  /** The busiest worker's backlog, seconds of audio (the metric). */
  get maxBacklogSeconds(): number {
    return Math.max(...this.slots.map(backlog)) / this.init.sampleRate;
  }

  /** Seeds every worker's real-time factor (the capacity probe's measurement). */
  setRealTimeFactor(rtf: number): void {
    if (!(rtf > 0 && Number.isFinite(rtf))) return;
    this.initialRealTimeFactor = rtf;
    for (const slot of this.slots) slot.realTimeFactor = rtf;
  }

  /** Waits until every worker thread is running (start-up). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => new Promise<void>((resolve, reject) => {
      s.worker.once('online', resolve);
      s.worker.once('error', reject);
    })));
  }

  /** Opens a recognizer for `callId` on its worker; returns the stream's id. */
  open(callId: string, sink: StreamSink): number {
    const slot = this.slotFor(callId);
    const id = this.nextStream++;
    slot.streams.set(id, { callId, sink, pending: 0 });
    slot.calls.set(callId, (slot.calls.get(callId) ?? 0) + 1);
    slot.worker.postMessage({ type: 'open', stream: id } satisfies ToWorker);
    return id;
  }

  /** Sends one chunk; its buffer moves to the worker (the caller must not touch it again). */
  audio(callId: string, stream: number, samples: Int16Array): void {
    const slot = this.find(callId, stream);
    if (!slot) return;
    slot.streams.get(stream)!.pending += samples.length;
    slot.worker.postMessage({ type: 'audio', stream, samples } satisfies ToWorker, [samples.buffer as ArrayBuffer]);
  }

  /** Ends the stream's utterance in progress, after the audio sent before (vosk-server's reset). */
  cut(callId: string, stream: number): void {
    this.find(callId, stream)?.worker.postMessage({ type: 'cut', stream } satisfies ToWorker);
  }

  /** `samples` (model rate) of the call's wire audio will reach this stream through its worker's call processing. */
  expect(callId: string, stream: number, samples: number): void {
    const entry = this.find(callId, stream)?.streams.get(stream);
    if (entry) entry.pending += samples;
  }

  /**
   * Starts a call's audio processing on the worker its streams are pinned to (open them first);
   * returns its id for wire/skip/endCall.
   */
  openCall(callId: string, init: Omit<CallAudioInit, 'call'>, sink: CallSink): number {
    const slot = this.slotFor(callId);
    const call = this.nextCall++;
    slot.callAudio.set(call, sink);
    slot.worker.postMessage({ type: 'call', init: { ...init, call } } satisfies ToWorker);
    return call;
  }

  /** Wire audio of a call; `bytes` moves to the worker (its buffer is transferred: the caller must own all of it). */
  wire(call: number, party: number, bytes: Uint8Array, feed: boolean[]): void {
    this.callSlot(call)?.worker.postMessage({ type: 'wire', call, party, bytes, feed } satisfies ToWorker, [bytes.buffer as ArrayBuffer]);
  }

  skip(call: number, party: number, samples: number): void {
    this.callSlot(call)?.worker.postMessage({ type: 'skip', call, party, samples } satisfies ToWorker);
  }

  /** No more audio for the call: the worker flushes it into the recognizers and finishes the acoustic measures. */
  endCall(call: number): void {
    this.callSlot(call)?.worker.postMessage({ type: 'callEnd', call } satisfies ToWorker);
  }

  end(callId: string, stream: number): void {
    this.find(callId, stream)?.worker.postMessage({ type: 'end', stream } satisfies ToWorker);
  }

  abort(callId: string, stream: number): void {
    this.find(callId, stream)?.worker.postMessage({ type: 'abort', stream } satisfies ToWorker);
  }

  /** Decodes a sample on one worker, time-boxed (the capacity probe). */
  probe(samples: Int16Array, budgetMs: number): Promise<{ decodedMs: number; elapsedMs: number; audioWorkMs: number }> {
    const slot = this.slots[0]!;
    const id = this.nextProbe++;
    return new Promise((resolve) => {
      slot.probes.set(id, resolve);
      slot.worker.postMessage({ type: 'probe', id, samples, budgetMs } satisfies ToWorker, [samples.buffer as ArrayBuffer]);
    });
  }

  /**
   * Creates and frees a recognizer on every worker (readiness). Not ok when libvosk cannot make one,
   * or a worker does not answer within `timeoutMs` (a worker stuck decoding cannot serve calls either).
   */
  async checkRecognizers(timeoutMs: number): Promise<RecognizerCheck> {
    const results = await Promise.all(
      this.slots.map((slot) => {
        const id = this.nextProbe++;
        return new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => {
            slot.checks.delete(id);
            resolve(`asr worker ${slot.index} did not answer within ${timeoutMs} ms`);
          }, timeoutMs);
          timer.unref();
          slot.checks.set(id, (ok) => {
            clearTimeout(timer);
            resolve(ok ? undefined : `asr worker ${slot.index}: libvosk could not create a recognizer on the model`);
          });
          slot.worker.postMessage({ type: 'check', id } satisfies ToWorker);
        });
      }),
    );
    const problems = results.filter((r): r is string => r !== undefined);
    return problems.length === 0 ? { ok: true } : { ok: false, problem: problems.join('; ') };
  }

  /** A worker's thread, for tests that kill one (`terminate()`) mid-call. */
  workerOf(callId: string): Worker | undefined {
    return this.slots.find((s) => s.calls.has(callId))?.worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private slotFor(callId: string): Slot {
    return this.slots.find((s) => s.calls.has(callId)) ?? this.leastLoaded();
  }

  /**
   * The worker with the fewest open recognizers, then the least queued audio. Recognizers first: a
   * live stream costs its share of decoding for as long as it lasts, while a backlog is momentary;
   * calls that start together (their audio not yet arrived) would otherwise all go to one worker.
   */
  private leastLoaded(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) {
      const [n, m] = [slot.streams.size, best.streams.size];
      if (n < m || (n === m && backlog(slot) < backlog(best))) best = slot;
    }
    return best;
  }

  private callSlot(call: number): Slot | undefined {
    return this.slots.find((s) => s.callAudio.has(call));
  }

  private find(callId: string, stream: number): Slot | undefined {
    return this.slots.find((s) => s.calls.has(callId) && s.streams.has(stream));
  }

  private spawn(index: number): Slot {
    const worker = new Worker(workerScript(), { workerData: this.init, name: `voc-asr-${index}` });
    const slot: Slot = { index, worker, streams: new Map(), callAudio: new Map(), calls: new Map(), realTimeFactor: this.initialRealTimeFactor, probes: new Map(), checks: new Map() };
    worker.on('message', (message: FromWorker) => this.receive(slot, message));
    worker.on('error', (err) => this.log.error({ worker: index, err: err.message }, 'asr worker failed'));
    worker.once('exit', (code) => this.lost(slot, code));
    return slot;
  }

  private receive(slot: Slot, message: FromWorker): void {
    if (message.type === 'probed') {
      slot.probes.get(message.id)?.(message);
      slot.probes.delete(message.id);
      return;
    }
    if (message.type === 'checked') {
      slot.checks.get(message.id)?.(message.ok);
      slot.checks.delete(message.id);
      return;
    }
    if (message.type === 'acoustic' || message.type === 'warning' || message.type === 'callFailed' || message.type === 'callEnded') {
      const sink = slot.callAudio.get(message.call);
      if (message.type === 'callFailed' || message.type === 'callEnded') slot.callAudio.delete(message.call);
      sink?.onMessage(message);
      return;
    }
    const owner = slot.streams.get(message.stream);
    if (message.type === 'decoded') {
      if (owner) owner.pending = Math.max(0, owner.pending - message.samples);
      const rtf = (message.elapsedMs * this.init.sampleRate) / (Math.max(1, message.samples) * 1000);
      slot.realTimeFactor += (rtf - slot.realTimeFactor) * RTF_SMOOTHING;
    }
    if (owner && (message.type === 'freed' || message.type === 'failed')) this.forget(slot, message.stream, owner.callId);
    owner?.sink.onMessage(message);
  }

  private forget(slot: Slot, stream: number, callId: string): void {
    slot.streams.delete(stream);
    const left = (slot.calls.get(callId) ?? 1) - 1;
    if (left > 0) slot.calls.set(callId, left);
    else slot.calls.delete(callId);
  }

  private lost(slot: Slot, code: number): void {
    const sinks: Array<StreamSink | CallSink> = [...slot.streams.values()].map((s) => s.sink);
    sinks.push(...slot.callAudio.values());
    slot.streams.clear();
    slot.callAudio.clear();
    slot.calls.clear();
    for (const resolve of slot.probes.values()) resolve({ type: 'probed', id: 0, decodedMs: 0, elapsedMs: 0, audioWorkMs: 0 });
    for (const resolve of slot.checks.values()) resolve(false);
    if (this.closed) return;
    this.log.error({ worker: slot.index, exitCode: code, streams: sinks.length }, 'asr worker exited; its calls end, a new worker takes its place');
    for (const sink of sinks) sink.onWorkerLost(`asr worker ${slot.index} exited (code ${code})`);
    this.slots[slot.index] = this.spawn(slot.index);
    this.onReplaced();
  }
}

/** Audio a worker holds and has not decoded yet, samples at the model rate. */
function backlog(slot: Slot): number {
  let sum = 0;
  for (const s of slot.streams.values()) sum += s.pending;
  return sum;
}
