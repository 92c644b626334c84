import { randomUUID } from 'node:crypto';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallEvent } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { IngestContext } from '../adapter.js';
import type { ApiKeyCheck } from './auth.js';
import { GrpcCallStream, type GrpcDuplex } from './call-stream.js';
import { finalResponse, parseStreamingRequest, resolveSpec, transcriptResponse, type StreamingResponseMessage } from './vosk-messages.js';

/** `protocol` label of calls arriving on vosk.stt.v1.SttService. */
export const VOSK_GRPC_PROTOCOL = 'vosk-grpc';

/** Optional request metadata naming the call; otherwise the engine makes one up. */
export const CALL_ID_METADATA_KEY = 'x-call-id';

/**
 * vosk-server's StreamingRecognize: one RecognitionConfig, then mono PCM16 `audio_content` chunks,
 * then half-close. Each stream is a normal mono call (party: protocols.vosk.party) that is analyzed
 * and published like any other; the client gets vosk-server-shaped recognition chunks back, and,
 * like vosk-server's closing FinalResult(), always a final chunk after it half-closes.
 */
class VoskCallStream extends GrpcCallStream<StreamingResponseMessage> {
  private partials = false;
  private clientEnded = false;
  private finalAfterEnd = false;

  protected onRequest(raw: unknown): void {
    const message = parseStreamingRequest(raw);
    if (message.streaming_request === 'config') {
      if (this.session) throw new CallInputError('already_started', 'config received twice');
      const spec = resolveSpec(message.config.specification);
      const vosk = this.ctx.config.protocols.vosk;
      this.partials = spec.partials;
      this.open({
        callId: this.callId(),
        protocol: VOSK_GRPC_PROTOCOL,
        format: { encoding: 'pcm16', sampleRate: spec.sampleRate, channels: 1 },
        parties: [vosk.party],
        language: spec.language || vosk.language,
        metadata: {},
      });
      return;
    }
    if (!this.session) throw new CallInputError('audio_before_start', 'audio_content received before the config message');
    if (message.audio_content.length > 0) this.session.pushAudio(message.audio_content);
  }

  protected override onHalfClose(): void {
    this.clientEnded = true;
    super.onHalfClose();
  }

  protected onEvent(event: CallEvent): void {
    if (event.type === 'transcript') {
      if (!event.final) {
        if (this.partials) this.writer.sendDroppable(transcriptResponse(event));
        return;
      }
      this.writer.send(transcriptResponse(event));
      if (this.clientEnded) this.finalAfterEnd = true;
      return;
    }
    // Alerts and the summary have no place in vosk's protocol: they go to Redis only. vosk-server
    // answers end of input with FinalResult() even when nothing is pending ({"text": ""}); so do we.
    if (event.type === 'summary' && !this.finalAfterEnd) this.writer.send(finalResponse('', []));
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
