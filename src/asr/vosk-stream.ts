import { Subject, type Observable } from 'rxjs';
import type { Recognizer } from 'vosk';
import { Rechunker } from '../audio/rechunker.js';
import type { AsrOptions } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { DecodeSlots } from './decode-slots.js';
import { AsrError } from './errors.js';
import * as libvosk from './libvosk.js';
import type { QueueDepth } from './queue-depth.js';
import { StreamTimeline } from './stream-timeline.js';
import type { AsrResult, AsrStream, AsrStreamOptions } from './types.js';
import { parseFinal, parsePartial } from './vosk-result.js';

export interface VoskStreamDeps {
  /** This stream's recognizer (words on); the stream owns it and frees it exactly once. */
  recognizer: Recognizer;
  options: AsrStreamOptions;
  asr: AsrOptions;
  slots: DecodeSlots;
  depth: QueueDepth;
  metrics: EngineMetrics;
  log: Logger;
  /** Called once, after the recognizer was freed. */
  onFreed: () => void;
}

type State = 'open' | 'ending' | 'closed';

/**
 * One party's recognizer. Audio is rechunked to `asr.chunkMs`, queued (bounded by `asr.maxQueueMs`)
 * and decoded chunk by chunk on the libuv threadpool, with at most one libvosk call in flight for
 * this recognizer (they are not thread-safe) and a process-wide slot per call (DecodeSlots).
 *
 * Overload policy: when a write would push the queue past `maxQueueMs`, that NEW audio is dropped
 * (write() returns false); audio already queued is kept, so the transcript has a hole rather than
 * lagging further. Drops are counted, logged once per episode, and later word times are shifted by
 * the dropped audio so they stay on the party's stream clock.
 */
export class VoskAsrStream implements AsrStream {
  readonly results$: Observable<AsrResult>;
  /** Resolves when the recognizer has been freed. */
  readonly freed: Promise<void>;

  private readonly results = new Subject<AsrResult>();
  private readonly rechunker: Rechunker;
  private readonly timeline: StreamTimeline;
  private readonly queue: Int16Array[] = [];
  private readonly rate: number;
  private readonly maxQueueSamples: number;
  private state: State = 'open';
  /** A drive loop is running: a libvosk call is in flight or about to be. */
  private running = false;
  private isFreed = false;
  private markFreed!: () => void;
  /** Samples written and not yet decoded: queued chunks, the chunk in flight, the rechunker's remainder. */
  private queuedSamples = 0;
  private acceptedSamples = 0;
  private decodedSamples = 0;
  private lastPartialAt = -Infinity;
  private lastPartialText = '';
  private dropEpisode: { samples: number } | undefined;
  private ending: Promise<void> | undefined;
  private settleEnd: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(private readonly deps: VoskStreamDeps) {
    this.rate = deps.options.sampleRate;
    this.rechunker = new Rechunker(Math.max(1, Math.round((deps.asr.chunkMs * this.rate) / 1000)));
    this.timeline = new StreamTimeline(this.rate);
    this.maxQueueSamples = Math.round((deps.asr.maxQueueMs * this.rate) / 1000);
    this.results$ = this.results.asObservable();
    this.freed = new Promise((resolve) => (this.markFreed = resolve));
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
    if (this.state !== 'open') return false;
    if (samples.length === 0) return true;
    if (this.queuedSamples + samples.length > this.maxQueueSamples) {
      this.drop(samples.length);
      return false;
    }
    if (this.dropEpisode) this.endDropEpisode();
    this.queuedSamples += samples.length;
    this.acceptedSamples += samples.length;
    this.deps.depth.add(samples.length);
    for (const chunk of this.rechunker.push(samples)) this.queue.push(chunk);
    this.kick();
    return true;
  }

  skip(samples: number): void {
    if (this.state !== 'open' || samples <= 0) return;
    // The same mapping as a drop, without counting it as lost audio.
    this.timeline.addGap(this.acceptedSamples, samples);
  }

  /** Resolves once the final result is out, results$ completed and the recognizer freed. */
  end(): Promise<void> {
    if (this.ending) return this.ending;
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'ending';
    const last = this.rechunker.flush();
    if (last) this.queue.push(last);
    this.ending = new Promise<void>((resolve, reject) => (this.settleEnd = { resolve, reject }));
    this.kick();
    return this.ending;
  }

  abort(): void {
    if (this.state === 'closed') return;
    this.close();
    this.results.complete();
    if (!this.running) this.free(); // else the drive loop frees it when the call in flight returns
  }

  /** A method, not a narrowed field read: the state changes while libvosk calls are awaited. */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  private kick(): void {
    if (this.running || this.state === 'closed') return;
    this.running = true;
    void this.drive();
  }

  /** Decodes queued chunks one after another; at the end of the stream, the final result. */
  private async drive(): Promise<void> {
    try {
      for (;;) {
        if (this.state === 'closed') break;
        const chunk = this.queue.shift();
        if (chunk) {
          await this.deps.slots.run(() => this.decode(chunk));
          continue;
        }
        if (this.state === 'ending') await this.deps.slots.run(() => this.finish());
        break;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.running = false;
      if (this.state === 'closed') this.free();
    }
  }

  private async decode(chunk: Int16Array): Promise<void> {
    if (this.closed) return; // aborted while waiting for a slot
    const handle = this.deps.recognizer.handle;
    const started = performance.now();
    const endpoint = await libvosk.acceptWaveform(handle, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (endpoint < 0) throw new AsrError('libvosk rejected the audio chunk');
    const chunkMs = (chunk.length * 1000) / this.rate;
    this.decodedSamples += chunk.length;
    const decodedMs = (this.decodedSamples * 1000) / this.rate;
    let json: string | undefined;
    let final = false;
    if (endpoint === 1) {
      json = await libvosk.result(handle);
      final = true;
    } else if (this.deps.asr.partials && decodedMs - this.lastPartialAt >= this.deps.asr.partialIntervalMs) {
      this.lastPartialAt = decodedMs;
      json = await libvosk.partialResult(handle);
    }
    this.account(chunk.length, performance.now() - started, chunkMs);
    if (this.closed || json === undefined) return; // aborted while the call was in flight
    if (final) this.emitFinal(parseFinal(json, this.timeline));
    else this.emitPartial(parsePartial(json, this.timeline));
  }

  private async finish(): Promise<void> {
    if (this.closed) return;
    const json = await libvosk.finalResult(this.deps.recognizer.handle);
    if (this.closed) return;
    this.emitFinal(parseFinal(json, this.timeline));
    this.close();
    this.results.complete();
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

  private account(samples: number, elapsedMs: number, chunkMs: number): void {
    const { metrics } = this.deps;
    metrics.audioDecodedSeconds.inc(samples / this.rate);
    metrics.asrRealTimeFactor.observe(elapsedMs / chunkMs);
    if (this.closed) return; // abort() already took this stream's audio off the gauge
    this.queuedSamples -= samples;
    this.deps.depth.add(-samples);
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

  private fail(err: unknown): void {
    if (this.state === 'closed') return;
    this.close();
    const error = err instanceof AsrError ? err : new AsrError(`recognizer failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    this.deps.log.error({ callId: this.callId, party: this.deps.options.party, err: error.message }, 'asr stream failed');
    this.results.error(error);
    this.settleEnd?.reject(error);
  }

  /** No more audio or results; releases this stream's share of the queue gauge. */
  private close(): void {
    this.state = 'closed';
    this.queue.length = 0;
    this.deps.depth.add(-this.queuedSamples);
    this.queuedSamples = 0;
  }

  private free(): void {
    if (this.isFreed) return;
    this.isFreed = true;
    try {
      this.deps.recognizer.free();
    } catch (err) {
      // Runs from the drive loop's `finally`: a throw here would be an unhandled rejection.
      this.deps.log.error({ callId: this.callId, party: this.deps.options.party, err: (err as Error).message }, 'freeing the recognizer failed');
    }
    this.markFreed();
    this.settleEnd?.resolve(); // no-op when fail() already rejected it
    this.deps.onFreed();
  }
}
