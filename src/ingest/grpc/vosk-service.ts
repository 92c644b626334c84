import { randomUUID } from 'node:crypto';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallEvent, TranscriptEvent } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { IngestContext } from '../adapter.js';
import { PacedFeeder } from '../paced-feeder.js';
import type { ApiKeyCheck } from './auth.js';
import { GrpcCallStream, type GrpcDuplex } from './call-stream.js';
import { finalResponse, parseStreamingRequest, partialResponse, resolveSpec, transcriptResponse, type StreamingResponseMessage } from './vosk-messages.js';

/** `protocol` label of calls arriving on vosk.stt.v1.SttService. */
export const VOSK_GRPC_PROTOCOL = 'vosk-grpc';

/** Optional request metadata naming the call; otherwise the engine makes one up. */
export const CALL_ID_METADATA_KEY = 'x-call-id';

/**
 * vosk-server's StreamingRecognize: one RecognitionConfig, then mono PCM16 `audio_content` chunks,
 * then half-close. Each stream is a normal mono call (party: protocols.vosk.party) that is analyzed
 * and published like any other; the client gets vosk-server-shaped recognition chunks back.
 *
 * Pacing, as vosk-server's: each audio chunk is answered once it is decoded, with the oldest final not
 * yet sent, else (with partial_results) the current partial. Audio waits in a PacedFeeder while the
 * recognizer is half a queue behind and the stream is paused meanwhile, so HTTP/2 flow control slows
 * a client that streams a file as fast as it can, instead of audio being dropped. After the client
 * half-closes, the last responses are the finals the flush produced or, like vosk-server's closing
 * FinalResult(), one empty final.
 */
class VoskCallStream extends GrpcCallStream<StreamingResponseMessage> {
  private partials = false;
  private feeder: PacedFeeder | undefined;
  private readonly finals: TranscriptEvent[] = [];
  private partial = '';

  protected onRequest(raw: unknown): void {
    const message = parseStreamingRequest(raw);
    if (message.streaming_request === 'config') {
      if (this.session) throw new CallInputError('already_started', 'config received twice');
      const spec = resolveSpec(message.config.specification);
      const { protocols, asr } = this.ctx.config;
      this.partials = spec.partials;
      const session = this.open({
        callId: this.callId(),
        protocol: VOSK_GRPC_PROTOCOL,
        format: { encoding: 'pcm16', sampleRate: spec.sampleRate, channels: 1 },
        parties: [protocols.vosk.party],
        language: spec.language || protocols.vosk.language,
        metadata: {},
      });
      this.feeder = new PacedFeeder(
        session,
        { maxQueueMs: asr.maxQueueMs, pacing: { bytesPerMs: (spec.sampleRate * 2) / 1000, chunkMs: asr.chunkMs } },
        { pause: () => this.call.pause(), resume: () => this.call.resume() },
        { onError: (err) => this.reject(err), onDrainedStop: () => void session.stop('stop') },
      );
      this.call.on('cancelled', () => this.feeder?.dispose());
      return;
    }
    if (!this.feeder) throw new CallInputError('audio_before_start', 'audio_content received before the config message');
    if (message.audio_content.length > 0) this.feeder.push(message.audio_content, () => this.replyToChunk());
  }

  protected override onHalfClose(): void {
    if (!this.feeder) return super.onHalfClose();
    this.feeder.stop();
  }

  protected onEvent(event: CallEvent): void {
    if (event.type === 'transcript') {
      if (event.final) {
        this.finals.push(event);
        this.partial = '';
      } else {
        this.partial = event.text;
      }
      return;
    }
    // Alerts and the summary have no place in vosk's protocol: they go to Redis only. vosk-server
    // answers end of input with FinalResult() even when nothing is pending ({"text": ""}); so do we.
    if (event.type === 'summary') {
      if (this.finals.length === 0) this.writer.send(finalResponse('', []));
      for (const final of this.finals.splice(0)) this.writer.send(transcriptResponse(final));
    }
  }

  /** One decoded chunk: the oldest final not yet sent, else the current partial (when asked for). */
  private replyToChunk(): void {
    const final = this.finals.shift();
    if (final) this.writer.send(transcriptResponse(final));
    else if (this.partials) this.writer.sendDroppable(partialResponse(this.partial));
  }

  private callId(): string {
    const given = this.call.metadata.get(CALL_ID_METADATA_KEY)[0];
    return typeof given === 'string' && given.length > 0 ? given : `vosk-${randomUUID()}`;
  }
}

export function voskServiceImplementation(ctx: IngestContext, auth: ApiKeyCheck): UntypedServiceImplementation {
  return {
    StreamingRecognize: (call: GrpcDuplex<StreamingResponseMessage>) => new VoskCallStream(call, ctx, VOSK_GRPC_PROTOCOL).run(auth),
  };
}
