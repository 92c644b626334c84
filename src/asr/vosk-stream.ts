import { Subject, type Observable } from 'rxjs';
import { Rechunker } from '../audio/rechunker.js';
import type { AsrOptions } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { AsrError, AsrWorkerLostError } from './errors.js';
import type { QueueDepth } from './queue-depth.js';
import { StreamTimeline } from './stream-timeline.js';
import type { AsrResult, AsrStream, AsrStreamOptions } from './types.js';
import { parseFinal, parsePartial } from './vosk-result.js';
import type { AsrWorkerPool, StreamSink } from './worker/pool.js';
import type { FromWorker } from './worker/protocol.js';

type StreamMessage = Extract<FromWorker, { stream: number }>;

export interface VoskStreamDeps {
  pool: AsrWorkerPool;
  options: AsrStreamOptions;
  asr: AsrOptions;
  depth: QueueDepth;
  metrics: EngineMetrics;
  log: Logger;
  /** Called once, after the recognizer was freed (or lost with its worker). */
  onFreed: () => void;
}

type State = 'open' | 'ending' | 'closed';

/**
 * One party's recognizer, living on an ASR worker thread (src/asr/worker/). Audio is rechunked to
 * `asr.chunkMs` here and each chunk's buffer is transferred to the worker, which decodes the
 * recognizers pinned to it in turn; results come back as libvosk's JSON and are parsed here, on
 * the party's stream clock.
 *
 * Overload policy: when a write would push the audio not yet decoded past `maxQueueMs`, that NEW
 * audio is dropped (write() returns false); audio already queued is kept, so the transcript has a
 * hole rather than lagging further. Drops are counted, logged once per episode, and later word
 * times are shifted by the dropped audio so they stay on the party's stream clock.
 */
export class VoskAsrStream implements AsrStream, StreamSink {
  readonly results$: Observable<AsrResult>;
  /** Resolves when the recognizer has been freed. */
  readonly freed: Promise<void>;

  private readonly results = new Subject<AsrResult>();
  private readonly rechunker: Rechunker;
  private readonly timeline: StreamTimeline;
  private readonly rate: number;
  private readonly maxQueueSamples: number;
  private readonly id: number;
  private state: State = 'open';
  private isFreed = false;
  private markFreed!: () => void;
  /** Samples written and not yet decoded: in the worker, plus the rechunker's remainder. */
  private queuedSamples = 0;
  private acceptedSamples = 0;
  private lastPartialText = '';
  private dropEpisode: { samples: number } | undefined;
  private ending: Promise<void> | undefined;
  private settleEnd: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  /** cut() calls waiting for their result from the worker, oldest first. */
  private readonly cuts: Array<() => void> = [];

  constructor(private readonly deps: VoskStreamDeps) {
    this.rate = deps.options.sampleRate;
    this.rechunker = new Rechunker(Math.max(1, Math.round((deps.asr.chunkMs * this.rate) / 1000)));
    this.timeline = new StreamTimeline(this.rate);
    this.maxQueueSamples = Math.round((deps.asr.maxQueueMs * this.rate) / 1000);
    this.results$ = this.results.asObservable();
    this.freed = new Promise((resolve) => (this.markFreed = resolve));
    this.id = deps.pool.open(deps.options.callId, this);
  }

  get callId(): string {
    return this.deps.options.callId;
  }

  /** 'open' | 'ending' | 'closed' (for the engine's close()). */
  get status(): State {
    return this.state;
  }

  /** Audio waiting for the recognizer, ms. */
  get queuedMs(): number {
    return (this.queuedSamples * 1000) / this.rate;
  }

  write(samples: Int16Array): boolean {
    if (!this.admit(samples.length, false)) return false;
    // Each chunk is a fresh array (Rechunker), so its buffer can move to the worker.
    for (const chunk of this.rechunker.push(samples)) this.deps.pool.audio(this.callId, this.id, chunk);
    return true;
  }

  /**
   * `samples` (model rate) for this recognizer, produced on its worker by the call's audio processing
   * (asr/call-audio.ts): accounted like write(); false when the queue is full and it is dropped.
   */
  admit(samples: number, viaCall = true): boolean {
    if (this.state !== 'open') return false;
    if (samples <= 0) return true;
    if (this.queuedSamples + samples > this.maxQueueSamples) {
      this.drop(samples);
      return false;
    }
    if (this.dropEpisode) this.endDropEpisode();
    this.queuedSamples += samples;
    this.acceptedSamples += samples;
    this.deps.depth.add(samples);
    if (viaCall) this.deps.pool.expect(this.callId, this.id, samples);
    return true;
  }

  /** The worker's stream id (asr/call-audio.ts links a call's processing to its parties' recognizers). */
  get streamId(): number {
    return this.id;
  }

  skip(samples: number): void {
    if (this.state !== 'open' || samples <= 0) return;
    // The same mapping as a drop, without counting it as lost audio.
    this.timeline.addGap(this.acceptedSamples, samples);
  }

  cut(): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    // The rest shorter than a chunk belongs to the utterance being ended.
    const last = this.rechunker.flush();
    if (last) this.deps.pool.audio(this.callId, this.id, last);
    const done = new Promise<void>((resolve) => this.cuts.push(resolve));
    this.deps.pool.cut(this.callId, this.id);
    return done;
  }

  /** Resolves once the final result is out, results$ completed and the recognizer freed. */
  end(): Promise<void> {
    if (this.ending) return this.ending;
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'ending';
    const last = this.rechunker.flush();
    if (last) this.deps.pool.audio(this.callId, this.id, last);
    this.ending = new Promise<void>((resolve, reject) => (this.settleEnd = { resolve, reject }));
    this.deps.pool.end(this.callId, this.id);
    return this.ending;
  }

  abort(): void {
    if (this.state === 'closed') return;
    this.close();
    this.results.complete();
    this.deps.pool.abort(this.callId, this.id); // the worker answers 'freed'
  }

  /** From the worker (StreamSink). */
  onMessage(message: StreamMessage): void {
    switch (message.type) {
      case 'decoded':
        this.account(message.samples, message.elapsedMs);
        if (this.state === 'closed' || message.json === undefined) return;
        if (message.final) this.emitFinal(parseFinal(message.json, this.timeline));
        else this.emitPartial(parsePartial(message.json, this.timeline));
        return;
      case 'cut':
        if (this.state !== 'closed') this.emitFinal(parseFinal(message.json, this.timeline));
        this.cuts.shift()?.();
        return;
      case 'final':
        if (this.state === 'closed') return;
        this.emitFinal(parseFinal(message.json, this.timeline));
        this.close();
        this.results.complete();
        return;
      case 'failed':
        this.fail(new AsrError(message.message));
        this.free();
        return;
      case 'freed':
        if (this.state !== 'closed') this.fail(new AsrError('the recognizer was freed before its final result'));
        this.free();
        return;
      default:
        return;
    }
  }

  /** From the pool (StreamSink): the worker thread died, with this recognizer. */
  onWorkerLost(reason: string): void {
    this.fail(new AsrWorkerLostError(reason));
    this.free();
  }

  private emitFinal(result: AsrResult): void {
    this.lastPartialText = '';
    this.results.next(result);
  }

  private emitPartial(result: AsrResult): void {
    if (result.text === this.lastPartialText) return; // nothing new
    this.lastPartialText = result.text;
    this.results.next(result);
  }

  private account(samples: number, elapsedMs: number): void {
    const { metrics } = this.deps;
    metrics.audioDecodedSeconds.inc(samples / this.rate);
    metrics.asrRealTimeFactor.observe((elapsedMs * this.rate) / (samples * 1000));
    if (this.state === 'closed') return; // close() already took this stream's audio off the gauge
    // Never below zero: a call's resampler tail reaches the recognizer without being expected.
    const taken = Math.min(samples, this.queuedSamples);
    this.queuedSamples -= taken;
    this.deps.depth.add(-taken);
  }

  private drop(samples: number): void {
    this.timeline.addGap(this.acceptedSamples, samples);
    this.deps.metrics.audioDroppedSeconds.inc(samples / this.rate);
    if (this.dropEpisode) {
      this.dropEpisode.samples += samples;
      return;
    }
    this.dropEpisode = { samples };
    this.deps.log.warn(
      { callId: this.callId, party: this.deps.options.party, queuedMs: Math.round(this.queuedMs), maxQueueMs: this.deps.asr.maxQueueMs },
      'asr queue full: recognizer behind real time, dropping new audio',
    );
  }

  private endDropEpisode(): void {
    const droppedMs = Math.round((this.dropEpisode!.samples * 1000) / this.rate);
    this.dropEpisode = undefined;
    this.deps.log.info({ callId: this.callId, party: this.deps.options.party, droppedMs }, 'asr queue has room again: audio accepted');
  }

  private fail(error: AsrError): void {
    if (this.state === 'closed') return;
    this.close();
    this.deps.log.error({ callId: this.callId, party: this.deps.options.party, err: error.message }, 'asr stream failed');
    this.results.error(error);
    this.settleEnd?.reject(error);
  }

  /** No more audio or results; releases this stream's share of the queue gauge. */
  private close(): void {
    this.state = 'closed';
    for (const resolve of this.cuts.splice(0)) resolve();
    this.deps.depth.add(-this.queuedSamples);
    this.queuedSamples = 0;
  }

  private free(): void {
    if (this.isFreed) return;
    this.isFreed = true;
    this.markFreed();
    this.settleEnd?.resolve(); // no-op when fail() already rejected it
    this.deps.onFreed();
  }
}
