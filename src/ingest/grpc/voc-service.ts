import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallEvent } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { IngestContext } from '../adapter.js';
import type { ApiKeyCheck } from './auth.js';
import { GrpcCallStream, type GrpcDuplex } from './call-stream.js';
import { eventMessage, parseCallRequest, resolveConfig, startedMessage, utteranceOf, type CallResponseMessage } from './voc-messages.js';

/** `protocol` label of calls arriving on voc.v1.CallAnalytics. */
export const VOC_GRPC_PROTOCOL = 'grpc';

/**
 * voc.v1.CallAnalytics/StreamCall: CallConfig, then interleaved AudioChunks (a text call: Utterances),
 * then End (or half-close).
 * Answers Started, transcripts, alerts and withdrawals as they happen, the Summary last, then OK.
 */
class VocCallStream extends GrpcCallStream<CallResponseMessage> {
  protected onRequest(raw: unknown): void {
    const message = parseCallRequest(raw);
    switch (message.request) {
      case 'config': {
        if (this.session) throw new CallInputError('already_started', 'config received twice');
        const config = resolveConfig(message.config);
        this.open(
          {
            callId: config.callId,
            protocol: VOC_GRPC_PROTOCOL,
            input: config.input,
            format: { encoding: config.encoding, sampleRate: config.sampleRate, channels: config.channels },
            parties: config.parties,
            language: config.language,
            metadata: { ...config.metadata },
          },
          startedMessage(config),
        );
        return;
      }
      case 'audio':
        if (!this.session) throw new CallInputError('audio_before_start', 'audio received before the config message');
        if (message.audio.audio.length > 0) this.session.pushAudio(message.audio.audio);
        return;
      case 'utterance':
        if (!this.session) throw new CallInputError('bad_message', 'utterance received before the config message');
        this.session.pushUtterance(utteranceOf(message.utterance));
        return;
      case 'end':
        if (!this.session) throw new CallInputError('bad_message', 'end received before the config message');
        if (message.end.duration_ms !== 0) this.session.declareDuration(message.end.duration_ms);
        void this.session.stop('stop');
        return;
    }
  }

  protected onEvent(event: CallEvent): void {
    const message = eventMessage(event);
    // A slow reader loses partials first; finals, alerts and the summary always go out.
    if (event.type === 'transcript' && !event.final) this.writer.sendDroppable(message);
    else this.writer.send(message);
  }
}

export function vocServiceImplementation(ctx: IngestContext, auth: ApiKeyCheck): UntypedServiceImplementation {
  return {
    StreamCall: (call: GrpcDuplex<CallResponseMessage>) => new VocCallStream(call, ctx, VOC_GRPC_PROTOCOL).run(auth),
  };
}
