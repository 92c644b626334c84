import { Subject, type Observable } from 'rxjs';
import { AcousticReceiver } from '../analytics/acoustic.js';
import { bytesPerSample } from '../audio/format.js';
import { CallInputError } from '../session/errors.js';
import { AsrWorkerLostError } from './errors.js';
import type { ModelFitWarning } from './model-fit.js';
import type { CallAudio, CallAudioOptions, PartyAudioTaken } from './types.js';
import type { VoskAsrStream } from './vosk-stream.js';
import type { AsrWorkerPool, CallSink } from './worker/pool.js';
import type { FromWorker } from './worker/protocol.js';

interface Party {
  name: string;
  stream: VoskAsrStream;
  /** Samples received at the call rate (the party's clock, gaps included). */
  position: number;
  /** Call-rate samples of audio (not gaps) sent to the worker, and the model-rate samples accounted for them. */
  wireSamples: number;
  modelSamples: number;
}

/**
 * A call's audio on the main thread: only validation and accounting. The wire bytes go, copied once
 * into the buffer the next batch to that worker carries (Outbox.copyIn), to the ASR worker its recognizers are pinned to,
 * which decodes, resamples, rechunks them into the recognizers and runs the acoustic measures
 * (asr-worker.ts). Each party's share is charged to its recognizer's queue here, before sending, so
 * flow control (queuedMs) and the drop policy (maxQueueMs) work as with audio written directly;
 * a dropped share is still analysed, only not decoded.
 */
export class WorkerCallAudio implements CallAudio, CallSink {
  readonly streams: ReadonlyMap<string, VoskAsrStream>;
  readonly acoustic: AcousticReceiver | undefined;
  readonly warnings$: Observable<{ party: string; warning: ModelFitWarning }>;
  private readonly warnings = new Subject<{ party: string; warning: ModelFitWarning }>();
  private readonly parties: Party[];
  private readonly byName = new Map<string, Party>();
  private readonly bytesPerSample: number;
  private readonly call: number;
  private ended = false;

  /** `streams`: each party's recognizer, in party order, already open on `pool`; the format is validated (VoskAsrEngine.openCall). */
  constructor(
    private readonly pool: AsrWorkerPool,
    private readonly options: CallAudioOptions,
    streams: readonly VoskAsrStream[],
    private readonly modelRate: number,
  ) {
    this.bytesPerSample = bytesPerSample(options.format.encoding);
    this.parties = options.parties.map((name, i) => ({ name, stream: streams[i]!, position: 0, wireSamples: 0, modelSamples: 0 }));
    for (const p of this.parties) this.byName.set(p.name, p);
    this.streams = new Map(this.parties.map((p) => [p.name, p.stream]));
    this.acoustic = options.acoustic ? new AcousticReceiver() : undefined;
    this.warnings$ = this.warnings.asObservable();
    this.call = pool.openCall(
      options.callId,
      {
        format: options.format,
        parties: [...options.parties],
        streams: streams.map((s) => s.streamId),
        ...(options.acoustic ? { acoustic: options.acoustic } : {}),
        ...(options.modelInfo ? { modelInfo: options.modelInfo } : {}),
      },
      this,
    );
  }

  pushInterleaved(bytes: Uint8Array): PartyAudioTaken[] {
    const channels = this.parties.length;
    const frameBytes = channels * this.bytesPerSample;
    if (bytes.length % frameBytes !== 0)
      throw new CallInputError(
        'bad_frame_size',
        `${bytes.length} bytes is not a whole number of ${channels}-channel ${this.options.format.encoding} frames (${frameBytes} bytes each)`,
      );
    if (bytes.length === 0 || this.ended) return [];
    const samples = bytes.length / frameBytes;
    const taken = this.parties.map((p) => this.take(p, samples));
    this.pool.wire(this.call, -1, bytes, taken.map((t) => t.droppedModelSamples === 0));
    return taken;
  }

  pushParty(party: string, bytes: Uint8Array): PartyAudioTaken {
    const p = this.byName.get(party);
    if (!p) throw new CallInputError('bad_message', `unknown party ${JSON.stringify(party)}`);
    if (bytes.length % this.bytesPerSample !== 0)
      throw new CallInputError('bad_frame_size', `${bytes.length} bytes is not a whole number of ${this.options.format.encoding} samples`);
    if (bytes.length === 0 || this.ended) return { party, samples: 0, startSample: p.position, droppedModelSamples: 0 };
    const taken = this.take(p, bytes.length / this.bytesPerSample);
    const index = this.parties.indexOf(p);
    this.pool.wire(this.call, index, bytes, this.parties.map((_, i) => i === index && taken.droppedModelSamples === 0));
    return taken;
  }

  skip(party: string, samples: number): number {
    const p = this.byName.get(party);
    if (!p) throw new Error(`unknown party ${party}`);
    const start = p.position;
    p.position += samples;
    if (!this.ended) this.pool.skip(this.call, this.parties.indexOf(p), samples);
    return start;
  }

  endAudio(): void {
    if (this.ended) return;
    this.ended = true;
    this.pool.endCall(this.call);
  }

  /** From the pool (CallSink). */
  onMessage(message: Extract<FromWorker, { call: number }>): void {
    switch (message.type) {
      case 'acoustic':
        for (const event of message.events) this.acoustic?.receive(event);
        return;
      case 'warning':
        this.warnings.next({ party: message.party, warning: message.warning });
        return;
      case 'callEnded':
        return;
      case 'callFailed':
        this.ended = true;
        this.acoustic?.fail(new Error(`audio processing failed: ${message.message}`));
        return;
    }
  }

  /** From the pool (CallSink): the worker died with this call's processing. */
  onWorkerLost(reason: string): void {
    this.ended = true;
    this.acoustic?.fail(new AsrWorkerLostError(reason));
  }

  /** Charges `samples` (call rate) of a party to its clock and its recognizer's queue. */
  private take(p: Party, samples: number): PartyAudioTaken {
    const startSample = p.position;
    p.position += samples;
    p.wireSamples += samples;
    // Exact over the call whatever the message sizes: what the resampler will have produced by now.
    const model = Math.floor((p.wireSamples * this.modelRate) / this.options.format.sampleRate);
    const modelSamples = model - p.modelSamples;
    p.modelSamples = model;
    const admitted = p.stream.admit(modelSamples);
    return { party: p.name, samples, startSample, droppedModelSamples: admitted ? 0 : modelSamples };
  }
}
