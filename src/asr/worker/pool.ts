import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log/logger.js';
import { Outbox } from './outbox.js';
import type { CallAudioInit, FromWorker, LentStream, StreamItem, ToWorker, WorkerInit } from './protocol.js';

/** What a stream's sink hears; lending and forwarding between workers is the pool's own business. */
type StreamMessage = Exclude<Extract<FromWorker, { stream: number }>, { type: 'lent' | 'forward' }>;
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

/** A recognizer stream as the pool sees it. */
interface StreamEntry {
  callId: string;
  sink: StreamSink;
  /** Audio sent to the stream and not yet decoded, in samples at the model rate. */
  pending: number;
  /** The worker its call's audio processing runs on: its audio, cuts and end go there first. */
  home: Slot;
  /** Its end (or abort, or its call's audio end) was sent: no audio beyond what is pending will come. */
  ended: boolean;
  /** The call audio processing (openCall) that feeds it, if any. */
  call?: number;
}

interface Slot {
  index: number;
  worker: Worker;
  /** What goes to the worker, sent once per event-loop turn. */
  outbox: Outbox<ToWorker>;
  /** Streams this worker decodes: those opened here and those lent to it. */
  streams: Map<number, StreamEntry>;
  /** Calls' audio processing on this worker. */
  callAudio: Map<number, CallSink>;
  /** Calls pinned to this worker (a call's parties share one worker). */
  calls: Map<string, number>;
  /** Recent decoding time per audio time on this worker (moving average over decoded chunks). */
  realTimeFactor: number;
  /** Settles once the worker has loaded libvosk, or exited: only then may it be terminated. */
  loaded: Promise<void>;
  markLoaded: () => void;
  probes: Map<number, (reply: Extract<FromWorker, { type: 'probed' }>) => void>;
  checks: Map<number, (ok: boolean) => void>;
}

/** What the pool tells its owner (metrics), and its rebalancing threshold. */
export interface PoolHooks {
  /** A dead worker was replaced. */
  onReplaced?: () => void;
  /** A stream moved from one worker to another. */
  onLent?: () => void;
  /**
   * A stream is lent from the worker furthest behind to the one least behind when their backlogs
   * (decoding time of the queued audio) differ by at least this many ms (asr.rebalanceGapMs; 0 = never).
   * Balanced real-time load keeps backlogs near one chunk, so this acts only on a real imbalance:
   * calls that end unevenly (one worker idle while another still has audio queued) or split unevenly.
   */
  rebalanceGapMs?: number;
  /**
   * The gap that suffices when the idler worker is running out for good: every stream it holds has
   * ended (no more audio will come), so once its queue is done it would sit idle while the other
   * still decodes (asr.rebalanceTailGapMs; 0 = rebalanceGapMs always). Live streams keep the larger gap.
   */
  rebalanceTailGapMs?: number;
  /**
   * Call audio bound for a worker waits up to this many ms to share one message with other calls'
   * (asr.audioBatchMs; 0 = each event-loop turn's audio goes alone). Everything else goes at once.
   */
  audioBatchMs?: number;
}

/** Whether every worker could create a recognizer, and why not. */
export interface RecognizerCheck {
  ok: boolean;
  problem?: string;
}

/** Weight of each decoded chunk in a worker's moving real-time factor (~50 chunks of memory). */
const RTF_SMOOTHING = 0.02;

/** How long close() waits for a worker still loading libvosk before it terminates it anyway. */
const LOAD_WAIT_MS = 10_000;

/** How often at most the pool looks for an imbalance (it is checked as decoded chunks come back). */
const REBALANCE_INTERVAL_MS = 100;

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
  /** Every open stream, wherever it is decoded. */
  private readonly entries = new Map<number, StreamEntry>();
  /** Streams lent between workers since start (rebalancing; the metric). */
  private lentCount = 0;
  /**
   * The lend asked for and not yet answered: the stream, the worker that gives it up, the one least
   * behind then, and what its home forwarded meanwhile (held: the giving worker may already have let
   * the stream go, and would find nothing to add it to).
   */
  private lending: { stream: number; from: Slot; to: Slot; held: StreamItem[] } | undefined;
  private lastRebalanceAt = 0;

  constructor(
    private readonly init: WorkerInit,
    size: number,
    private readonly log: Logger,
    private readonly hooks: PoolHooks = {},
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

  /** Recognizer streams open on the workers (freed ones and those gone with a worker are not). */
  get openStreams(): number {
    return this.entries.size;
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

  /** Streams lent from one worker to another since start, to even out their backlogs. */
  get streamsLent(): number {
    return this.lentCount;
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

  /** Waits until every worker thread has loaded libvosk (start-up); rejects when one fails to. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => Promise.race([s.loaded, new Promise<never>((_, reject) => s.worker.once('error', reject))])));
  }

  /** Opens a recognizer for `callId` on its worker; returns the stream's id. */
  open(callId: string, sink: StreamSink): number {
    const slot = this.slotFor(callId);
    const id = this.nextStream++;
    const entry: StreamEntry = { callId, sink, pending: 0, home: slot, ended: false };
    slot.streams.set(id, entry);
    this.entries.set(id, entry);
    slot.calls.set(callId, (slot.calls.get(callId) ?? 0) + 1);
    slot.outbox.post({ type: 'open', stream: id });
    return id;
  }

  /** Sends one chunk; its buffer moves to the worker (the caller must not touch it again). */
  audio(callId: string, stream: number, samples: Int16Array): void {
    const entry = this.find(callId, stream);
    if (!entry) return;
    entry.pending += samples.length;
    entry.home.outbox.post({ type: 'audio', stream, samples }, samples.buffer as ArrayBuffer, true);
  }

  /** Ends the stream's utterance in progress, after the audio sent before (vosk-server's reset). */
  cut(callId: string, stream: number): void {
    this.find(callId, stream)?.home.outbox.post({ type: 'cut', stream });
  }

  /** `samples` (model rate) of the call's wire audio will reach this stream through its worker's call processing. */
  expect(callId: string, stream: number, samples: number): void {
    const entry = this.find(callId, stream);
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
    for (const id of init.streams) {
      const entry = this.entries.get(id);
      if (entry) entry.call = call;
    }
    slot.outbox.post({ type: 'call', init: { ...init, call } });
    return call;
  }

  /** Wire audio of a call, copied into the worker's next batch (the caller keeps `bytes`). */
  wire(call: number, party: number, bytes: Uint8Array, feed: boolean[]): void {
    const slot = this.callSlot(call);
    slot?.outbox.post({ type: 'wire', call, party, bytes: slot.outbox.copyIn(bytes), feed }, undefined, true);
  }

  skip(call: number, party: number, samples: number): void {
    this.callSlot(call)?.outbox.post({ type: 'skip', call, party, samples }, undefined, true);
  }

  /** No more audio for the call: the worker flushes it into the recognizers and finishes the acoustic measures. */
  endCall(call: number): void {
    for (const entry of this.entries.values()) if (entry.call === call) entry.ended = true;
    this.callSlot(call)?.outbox.post({ type: 'callEnd', call });
  }

  end(callId: string, stream: number): void {
    this.finish(callId, stream, 'end');
  }

  abort(callId: string, stream: number): void {
    this.finish(callId, stream, 'abort');
  }

  /** No audio beyond what is pending will come (rebalance sees it ended); the stream's home hears it. */
  private finish(callId: string, stream: number, type: 'end' | 'abort'): void {
    const entry = this.find(callId, stream);
    if (!entry) return;
    entry.ended = true;
    entry.home.outbox.post({ type, stream });
  }

  /**
   * Decodes a sample on every worker at once, time-boxed (the capacity probe), and sums what they did:
   * decoding is timed with all workers busy, as they are at capacity (two threads on this 2-core VM
   * decode 3-8 % slower each than one alone), and every worker's code is warm before the first call.
   */
  async probe(samples: Int16Array, budgetMs: number): Promise<{ decodedMs: number; elapsedMs: number; audioWorkMs: number }> {
    const replies = await Promise.all(
      this.slots.map((slot) => {
        const id = this.nextProbe++;
        const own = samples.slice();
        return new Promise<Extract<FromWorker, { type: 'probed' }>>((resolve) => {
          slot.probes.set(id, resolve);
          slot.outbox.post({ type: 'probe', id, samples: own, budgetMs }, own.buffer);
        });
      }),
    );
    const sum = (field: 'decodedMs' | 'elapsedMs' | 'audioWorkMs') => replies.reduce((total, reply) => total + reply[field], 0);
    return { decodedMs: sum('decodedMs'), elapsedMs: sum('elapsedMs'), audioWorkMs: sum('audioWorkMs') };
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
          slot.outbox.post({ type: 'check', id });
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
    await Promise.all(
      this.slots.map(async (s) => {
        // A worker replaced just now may still be loading libvosk, and terminating it then could abort the process.
        await Promise.race([s.loaded, sleep(LOAD_WAIT_MS, undefined, { ref: false })]);
        await s.worker.terminate();
      }),
    );
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

  private find(callId: string, stream: number): StreamEntry | undefined {
    const entry = this.entries.get(stream);
    return entry?.callId === callId ? entry : undefined;
  }

  private spawn(index: number): Slot {
    const worker = new Worker(workerScript(), { workerData: this.init, name: `voc-asr-${index}` });
    let markLoaded: () => void = () => undefined;
    const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
    const slot: Slot = { index, worker, outbox: new Outbox(worker, this.hooks.audioBatchMs ?? 0), streams: new Map(), callAudio: new Map(), calls: new Map(), realTimeFactor: this.initialRealTimeFactor, loaded, markLoaded, probes: new Map(), checks: new Map() };
    worker.on('message', (batch: FromWorker[]) => {
      for (const message of batch) this.receive(slot, message);
    });
    worker.on('error', (err) => this.log.error({ worker: index, err: err.message }, 'asr worker failed'));
    worker.once('exit', (code) => {
      slot.markLoaded();
      this.lost(slot, code);
    });
    return slot;
  }

  private receive(slot: Slot, message: FromWorker): void {
    if (message.type === 'loaded') return slot.markLoaded();
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
    if (message.type === 'lent') return this.lent(slot, message.stream, message.state);
    if (message.type === 'forward') {
      // From the stream's home to the worker that decodes it now; a stream gone with its worker is dropped.
      if (this.lending?.stream === message.stream) {
        this.lending.held.push(...message.items);
        return;
      }
      const decoder = this.decoderOf(message.stream);
      decoder?.outbox.post({ type: 'more', stream: message.stream, items: message.items });
      return;
    }
    const owner = slot.streams.get(message.stream);
    if (message.type === 'decoded') {
      if (owner) owner.pending = Math.max(0, owner.pending - message.samples);
      const rtf = (message.elapsedMs * this.init.sampleRate) / (Math.max(1, message.samples) * 1000);
      slot.realTimeFactor += (rtf - slot.realTimeFactor) * RTF_SMOOTHING;
    }
    if (owner && (message.type === 'freed' || message.type === 'failed')) this.forget(slot, message.stream, owner);
    owner?.sink.onMessage(message);
    if (message.type === 'decoded' || message.type === 'freed') this.rebalance();
  }

  private forget(slot: Slot, stream: number, entry: StreamEntry): void {
    slot.streams.delete(stream);
    this.entries.delete(stream);
    const calls = entry.home.calls;
    const left = (calls.get(entry.callId) ?? 1) - 1;
    if (left > 0) calls.set(entry.callId, left);
    else calls.delete(entry.callId);
  }

  private decoderOf(stream: number): Slot | undefined {
    return this.slots.find((s) => s.streams.has(stream));
  }

  /**
   * Lends one stream from the worker furthest behind to the one least behind, when their backlogs
   * differ by rebalanceGapMs or more. A recognizer is a pointer in the process's shared memory,
   * so any worker can go on decoding it; its call's audio processing stays where it is and forwards.
   * The stream chosen brings the two backlogs closest to even; a worker's only stream is not moved
   * (one stream decodes on one thread either way). One lend at a time. A smaller gap
   * (rebalanceTailGapMs) does when the idler worker's streams have all ended: it is running out of
   * work for good, not just momentarily ahead of live audio.
   */
  private rebalance(): void {
    const liveGap = this.hooks.rebalanceGapMs ?? 1000;
    if (this.lending || this.slots.length < 2 || liveGap <= 0) return;
    const now = performance.now();
    if (now - this.lastRebalanceAt < REBALANCE_INTERVAL_MS) return;
    this.lastRebalanceAt = now;
    const msOf = (slot: Slot, samples: number) => ((samples * 1000) / this.init.sampleRate) * slot.realTimeFactor;
    const behindMs = this.slots.map((slot) => msOf(slot, backlog(slot)));
    let [busy, idle] = [0, 0];
    behindMs.forEach((ms, i) => {
      if (ms > behindMs[busy]!) busy = i;
      if (ms < behindMs[idle]!) idle = i;
    });
    const gap = behindMs[busy]! - behindMs[idle]!;
    const from = this.slots[busy]!;
    const tailGap = this.hooks.rebalanceTailGapMs ?? 0;
    const runningOut = tailGap > 0 && [...this.slots[idle]!.streams.values()].every((entry) => entry.ended);
    const minGap = runningOut ? Math.min(liveGap, tailGap) : liveGap;
    if (gap < minGap || from.streams.size < 2) return;
    let chosen: number | undefined;
    let best = Infinity;
    for (const [id, entry] of from.streams) {
      const moved = msOf(from, entry.pending);
      // Moving it must leave the busy worker ahead of the idle one's new backlog, and by the least.
      if (moved <= 0 || moved >= gap) continue;
      const miss = Math.abs(gap / 2 - moved);
      if (miss < best) [best, chosen] = [miss, id];
    }
    if (chosen === undefined) return;
    this.lending = { stream: chosen, from, to: this.slots[idle]!, held: [] };
    from.outbox.post({ type: 'lend', stream: chosen });
  }

  /** The busy worker let go of the stream: the other one takes it over (undefined state: it had already ended). */
  private lent(from: Slot, stream: number, state: LentStream | undefined): void {
    const target = this.lending?.to;
    const held = this.lending?.held ?? [];
    this.lending = undefined;
    const entry = from.streams.get(stream);
    if (!entry || !state) return;
    // The target died meanwhile: its replacement adopts the stream (any worker can).
    const to = (target && this.slots[target.index]) ?? from;
    from.streams.delete(stream);
    to.streams.set(stream, entry);
    this.lentCount++;
    this.hooks.onLent?.();
    to.outbox.post({ type: 'adopt', stream, state });
    if (held.length > 0) to.outbox.post({ type: 'more', stream, items: held });
  }

  private lost(slot: Slot, code: number): void {
    const sinks: Array<StreamSink | CallSink> = [...slot.streams.values()].map((s) => s.sink);
    sinks.push(...slot.callAudio.values());
    for (const id of slot.streams.keys()) this.entries.delete(id);
    // Streams this worker lent keep decoding elsewhere; their call ends (its audio processing was
    // here), and the worker that decodes them now takes their end directly.
    for (const other of this.slots) {
      if (other === slot) continue;
      for (const entry of other.streams.values()) if (entry.home === slot) entry.home = other;
    }
    // A lend this worker was asked for will not be answered.
    if (this.lending?.from === slot) this.lending = undefined;
    slot.streams.clear();
    slot.callAudio.clear();
    slot.calls.clear();
    for (const resolve of slot.probes.values()) resolve({ type: 'probed', id: 0, decodedMs: 0, elapsedMs: 0, audioWorkMs: 0 });
    for (const resolve of slot.checks.values()) resolve(false);
    if (this.closed) return;
    this.log.error({ worker: slot.index, exitCode: code, streams: sinks.length }, 'asr worker exited; its calls end, a new worker takes its place');
    for (const sink of sinks) sink.onWorkerLost(`asr worker ${slot.index} exited (code ${code})`);
    this.slots[slot.index] = this.spawn(slot.index);
    this.hooks.onReplaced?.();
  }
}

/** Audio a worker holds and has not decoded yet, samples at the model rate. */
function backlog(slot: Slot): number {
  let sum = 0;
  for (const s of slot.streams.values()) sum += s.pending;
  return sum;
}
