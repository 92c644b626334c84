import { basename, resolve } from 'node:path';
import ref from 'ref-napi';
import vosk from 'vosk';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { DecodeSlots } from './decode-slots.js';
import { AsrError, ModelError, downloadAdvice } from './errors.js';
import { probeModel, type ProbeOptions } from './model-probe.js';
import { validateModelDir, type ModelInfo } from './model-validate.js';
import { QueueDepth } from './queue-depth.js';
import { decodeSlotsFor, threadpoolSizeFor, threadpoolSizeOf } from './threadpool.js';
import type { AsrEngine, AsrStream, AsrStreamOptions } from './types.js';
import { VoskAsrStream } from './vosk-stream.js';

export { threadpoolSizeFor } from './threadpool.js';

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
 * Threading: the vosk package owns the Model/Recognizer lifecycle; every call that decodes goes
 * through ffi `.async` (src/asr/libvosk.ts), i.e. onto the libuv threadpool, never blocking the event
 * loop. DecodeSlots bounds calls in flight to `asr.workers` (0 = cores), so recognizers decode in
 * parallel on all cores while the pool keeps threads for fs/dns (see threadpool.ts).
 */
export class VoskAsrEngine implements AsrEngine {
  readonly sampleRate: number;
  readonly info: ModelInfo;
  readonly decodeSlots: number;
  private readonly slots: DecodeSlots;
  private readonly depth: QueueDepth;
  private readonly streams = new Set<VoskAsrStream>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly model: vosk.Model,
    info: ModelInfo,
    private readonly deps: VoskEngineDeps,
  ) {
    this.info = info;
    this.sampleRate = info.sampleRate;
    this.decodeSlots = decodeSlotsFor(deps.asr, threadpoolSizeOf());
    this.slots = new DecodeSlots(this.decodeSlots);
    this.depth = new QueueDepth(deps.metrics.asrQueueDepthSeconds, info.sampleRate);
  }

  /** Loads the configured model. Throws ModelError (never crashes) when it is missing or broken. */
  static async open(deps: VoskEngineDeps): Promise<VoskAsrEngine> {
    const { model: modelOptions, asr, log } = deps;
    const name = modelOptions.name ?? basename(resolve(modelOptions.path));
    const info = validateModelDir(modelOptions.path, name);
    for (const warning of info.warnings) log.warn({ modelPath: info.dir, warning }, 'vosk model is usable but incomplete');

    const probe = await probeModel(info, name, deps.probe);
    vosk.setLogLevel(asr.voskLogLevel);
    const started = performance.now();
    // Synchronous: start-up only, before anything is served.
    const model = new vosk.Model(info.dir);
    if (ref.isNull(model.handle)) {
      throw new ModelError('load_failed', info.dir, 'libvosk could not load it (see its ERROR line on stderr)', downloadAdvice(name));
    }
    const engine = new VoskAsrEngine(model, info, deps);
    const pool = threadpoolSizeOf();
    const wanted = threadpoolSizeFor(asr);
    if (pool < wanted) {
      log.warn(
        { uvThreadpoolSize: pool, wanted, decodeSlots: engine.decodeSlots },
        'UV_THREADPOOL_SIZE is below asr.workers + 4: decoding uses fewer threads than configured; set it in the process environment',
      );
    }
    log.info(
      {
        modelPath: info.dir,
        sampleRate: info.sampleRate,
        layout: info.layout,
        graph: info.graph,
        probeMs: probe.probed ? Math.round(probe.durationMs) : 0,
        loadMs: Math.round(performance.now() - started),
        decodeSlots: engine.decodeSlots,
      },
      'vosk model loaded',
    );
    return engine;
  }

  /** Open streams (recognizers not yet freed). */
  get activeStreams(): number {
    return this.streams.size;
  }

  openStream(options: AsrStreamOptions): AsrStream {
    if (this.closing) throw new AsrError('the ASR engine is closed');
    if (options.sampleRate !== this.sampleRate) {
      throw new AsrError(`stream rate ${options.sampleRate} Hz does not match the model's ${this.sampleRate} Hz (the audio layer must resample)`);
    }
    const recognizer = new vosk.Recognizer({ model: this.model, sampleRate: this.sampleRate });
    if (ref.isNull(recognizer.handle)) throw new AsrError('libvosk could not create a recognizer (out of memory, or a broken graph)');
    recognizer.setWords(true);
    if (this.deps.asr.partialWords) recognizer.setPartialWords(true);
    const stream: VoskAsrStream = new VoskAsrStream({
      recognizer,
      options,
      asr: this.deps.asr,
      slots: this.slots,
      depth: this.depth,
      metrics: this.deps.metrics,
      log: options.protocol ? this.deps.log.child({ protocol: options.protocol }) : this.deps.log,
      onFreed: () => this.streams.delete(stream),
    });
    this.streams.add(stream);
    return stream;
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
      this.model.free();
    })();
    return this.closing;
  }
}
