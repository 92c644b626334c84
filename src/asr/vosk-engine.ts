import { basename, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { estimateCapacity, probeSample, type CapacityEstimate } from './capacity.js';
import { AsrError, ModelError, downloadAdvice } from './errors.js';
import { libvosk, type Handle } from './libvosk.js';
import { probeModel, type ProbeOptions } from './model-probe.js';
import { validateModelDir, type ModelInfo } from './model-validate.js';
import { QueueDepth } from './queue-depth.js';
import { CallAudioDecoder } from '../audio/call-audio-decoder.js';
import { WorkerCallAudio } from './call-audio.js';
import type { AsrEngine, AsrStreamOptions, CallAudio, CallAudioOptions } from './types.js';
import { VoskAsrStream } from './vosk-stream.js';
import { AsrWorkerPool, workerCount, type RecognizerCheck } from './worker/pool.js';

export interface VoskEngineDeps {
  model: Config['model'];
  asr: Config['asr'];
  metrics: EngineMetrics;
  log: Logger;
  /** Load-test options (tests force or time-limit the child-process probe). */
  probe?: ProbeOptions;
}

/**
 * The process's one Vosk model and the recognizers on it (one per call party).
 *
 * Start-up: validate the directory (clear ModelError naming the file), probe-load it in a child
 * process (libvosk aborts the process on some broken models), then load it here and check the
 * handle (libvosk returns NULL on a failed load; a recognizer on NULL segfaults).
 *
 * Threading: the model is loaded once on the main thread and shared; recognizers live on a pool of
 * ASR worker threads (`asr.workers`, 0 = one per core), which create, feed, read and free them
 * with synchronous libvosk calls (src/asr/worker/). The event loop never calls libvosk while
 * serving, and needs no libuv pool sizing.
 */
export class VoskAsrEngine implements AsrEngine {
  readonly sampleRate: number;
  /** model.name, else the model directory's name. */
  readonly modelName: string;
  readonly info: ModelInfo;
  readonly pool: AsrWorkerPool;
  /** From the start-up probe (asr.capacityProbeMs); undefined when it was skipped. */
  capacity: CapacityEstimate | undefined;
  /** Share of the probed per-party cost that is audio work rather than decoding (for the log). */
  private audioWorkShare = 0;
  private readonly depth: QueueDepth;
  private readonly streams = new Set<VoskAsrStream>();
  private closing: Promise<void> | undefined;
  /** The last readiness check and when it finished; a check in flight is shared. */
  private lastCheck: { at: number; result: RecognizerCheck } | undefined;
  private checking: Promise<RecognizerCheck> | undefined;

  private constructor(
    private readonly model: Handle,
    info: ModelInfo,
    modelName: string,
    private readonly deps: VoskEngineDeps,
  ) {
    this.info = info;
    this.modelName = modelName;
    this.sampleRate = info.sampleRate;
    const { asr } = deps;
    this.pool = new AsrWorkerPool(
      { model, sampleRate: info.sampleRate, partials: asr.partials, partialIntervalMs: asr.partialIntervalMs, partialWords: asr.partialWords, voskLogLevel: asr.voskLogLevel, nice: asr.workerNice, chunkSamples: Math.max(1, Math.round((asr.chunkMs * info.sampleRate) / 1000)) },
      workerCount(asr.workers),
      deps.log,
      { onReplaced: () => deps.metrics.asrWorkerRestarts.inc(), onLent: () => deps.metrics.asrStreamsLent.inc(), rebalanceGapMs: asr.rebalanceGapMs, rebalanceTailGapMs: asr.rebalanceTailGapMs, audioBatchMs: asr.audioBatchMs },
    );
    this.depth = new QueueDepth(deps.metrics.asrQueueDepthSeconds, info.sampleRate);
  }

  /** Loads the configured model. Throws ModelError (never crashes) when it is missing or broken. */
  static async open(deps: VoskEngineDeps): Promise<VoskAsrEngine> {
    const { model: modelOptions, asr, log } = deps;
    const name = modelOptions.name ?? basename(resolve(modelOptions.path));
    const info = validateModelDir(modelOptions.path, name);
    for (const warning of info.warnings) log.warn({ modelPath: info.dir, warning }, 'vosk model is usable but incomplete');

    const probe = await probeModel(info, name, deps.probe);
    const lib = libvosk();
    lib.setLogLevel(asr.voskLogLevel);
    const started = performance.now();
    // Synchronous: start-up only, before anything is served.
    const model = lib.modelNew(info.dir);
    if (model === 0) {
      throw new ModelError('load_failed', info.dir, 'libvosk could not load it (see its ERROR line on stderr)', downloadAdvice(name, info.dir, 'load_failed'));
    }
    const engine = new VoskAsrEngine(model, info, name, deps);
    try {
      await engine.pool.ready();
      if (asr.capacityProbeMs > 0) engine.capacity = await engine.probeCapacity();
    } catch (err) {
      await engine.close();
      throw err;
    }
    log.info(
      {
        modelPath: info.dir,
        sampleRate: info.sampleRate,
        layout: info.layout,
        graph: info.graph,
        probeMs: probe.probed ? Math.round(probe.durationMs) : 0,
        loadMs: Math.round(performance.now() - started),
        asrWorkers: engine.pool.size,
      },
      'vosk model loaded',
    );
    if (engine.capacity) {
      const { realTimeFactor, decodedMs, calls } = engine.capacity;
      log.info(
        { realTimeFactor: +realTimeFactor.toFixed(4), audioWorkShare: +engine.audioWorkShare.toFixed(3), probedAudioMs: Math.round(decodedMs), asrWorkers: engine.pool.size, headroom: asr.capacityHeadroom, capacityCalls: calls },
        'decoding capacity measured',
      );
    }
    return engine;
  }

  get capacityCalls(): number | undefined {
    return this.capacity?.calls;
  }

  get admissionBacklogMs(): number {
    this.deps.metrics.asrBacklogSeconds.set(this.pool.maxBacklogSeconds);
    return this.pool.leastBacklogMs;
  }

  /** Time-boxed decoding of the built-in sample on every worker at once (start-up, before anything is served). */
  private async probeCapacity(): Promise<CapacityEstimate> {
    const { decodedMs, elapsedMs, audioWorkMs } = await this.pool.probe(probeSample(this.sampleRate), this.deps.asr.capacityProbeMs);
    // The workers also decode, resample and analyse each call's audio: that time counts against their capacity too.
    const estimate = estimateCapacity(decodedMs, elapsedMs + audioWorkMs, { workers: this.pool.size, partiesPerCall: 2, headroom: this.deps.asr.capacityHeadroom });
    this.audioWorkShare = elapsedMs + audioWorkMs > 0 ? audioWorkMs / (elapsedMs + audioWorkMs) : 0;
    this.pool.setRealTimeFactor(estimate.realTimeFactor);
    return estimate;
  }

  /**
   * Readiness: creates and frees a recognizer on every worker (asr.readyCheckTimeoutMs), the result
   * reused for asr.readyCheckCacheMs so frequent probes do not each make recognizers.
   */
  checkModel(): Promise<RecognizerCheck> {
    const { readyCheckCacheMs, readyCheckTimeoutMs } = this.deps.asr;
    if (this.closing) return Promise.resolve({ ok: false, problem: 'the ASR engine is closed' });
    if (this.lastCheck && performance.now() - this.lastCheck.at < readyCheckCacheMs) return Promise.resolve(this.lastCheck.result);
    this.checking ??= this.pool
      .checkRecognizers(readyCheckTimeoutMs)
      .then((result) => {
        if (!result.ok && this.lastCheck?.result.ok !== false) this.deps.log.error({ problem: result.problem }, 'model check failed: not ready');
        if (result.ok && this.lastCheck?.result.ok === false) this.deps.log.info({}, 'model check passes again: ready');
        this.lastCheck = { at: performance.now(), result };
        return result;
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  /** Open streams (recognizers not yet freed). */
  get activeStreams(): number {
    return this.streams.size;
  }

  openStream(options: AsrStreamOptions): VoskAsrStream {
    if (this.closing) throw new AsrError('the ASR engine is closed');
    if (options.sampleRate !== this.sampleRate) {
      throw new AsrError(`stream rate ${options.sampleRate} Hz does not match the model's ${this.sampleRate} Hz (the audio layer must resample)`);
    }
    const stream: VoskAsrStream = new VoskAsrStream({
      pool: this.pool,
      options,
      asr: this.deps.asr,
      depth: this.depth,
      metrics: this.deps.metrics,
      log: options.protocol ? this.deps.log.child({ protocol: options.protocol }) : this.deps.log,
      onFreed: () => this.streams.delete(stream),
    });
    this.streams.add(stream);
    return stream;
  }

  /**
   * A call's recognizers and its audio processing, on one worker. Throws CallInputError for a format
   * the decoder cannot take (checked here, before anything is opened: a bad format is the client's
   * error, never the worker's).
   */
  openCall(options: CallAudioOptions): CallAudio {
    void new CallAudioDecoder(options.format, options.parties, this.sampleRate);
    const streams: VoskAsrStream[] = [];
    try {
      for (const party of options.parties) {
        streams.push(this.openStream({ callId: options.callId, ...(options.protocol ? { protocol: options.protocol } : {}), party, sampleRate: this.sampleRate }));
      }
      return new WorkerCallAudio(this.pool, options, streams, this.sampleRate);
    } catch (err) {
      for (const stream of streams) stream.abort();
      throw err;
    }
  }

  /**
   * Streams still being fed are aborted; streams already ending finish their final result. Then,
   * with every recognizer freed, the model is freed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const pending = [...this.streams];
      for (const stream of pending) if (stream.status === 'open') stream.abort();
      await Promise.all(pending.map((s) => s.freed));
      await this.pool.close();
      libvosk().modelFree(this.model);
    })();
    return this.closing;
  }
}
