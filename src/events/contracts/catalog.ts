import type { z } from 'zod';
import { clientMessageSchema as audiohookClientMessageSchema } from '../../ingest/audiohook/messages.js';
import { metadataSchema as forkMetadataSchema } from '../../ingest/fork/messages.js';
import { startMessageSchema, startedMessageSchema, stopMessageSchema, utteranceMessageSchema } from '../../ingest/stream/messages.js';
import { twilioMessageSchema } from '../../ingest/twilio/messages.js';
import { configMessageSchema, eofMessageSchema, resetMessageSchema, voskReplySchema } from '../../ingest/vosk/messages.js';
import {
  alertEventSchema,
  alertStreamEntrySchema,
  alertWithdrawnEventSchema,
  callEndedMessageSchema,
  callHashSchema,
  callStartedMessageSchema,
  callSummarySchema,
  callTagsMessageSchema,
  driverEventSchema,
  errorEventSchema,
  transcriptEventSchema,
  warningEventSchema,
} from '../wire.js';
import { departmentEntrySchema, spikeChannelEventSchema } from '../voc-wire.js';

/**
 * Every machine-readable contract the engine publishes (docs/schemas/), with the zod schema it is
 * generated from. `in`: the engine accepts it (JSON Schema of what it accepts, defaults optional);
 * `out`: the engine produces it. A new wire message or event belongs here; then `npm run schemas`.
 */
export interface ContractEntry {
  /** Path under docs/schemas/, without `.json`. */
  name: string;
  title: string;
  description: string;
  direction: 'in' | 'out';
  schema: z.ZodType;
}

export const CONTRACTS: readonly ContractEntry[] = [
  // /v1/stream (and the events every protocol and Redis carry)
  { name: 'stream/start', title: 'start', description: '/v1/stream: the first text frame; binary audio frames follow', direction: 'in', schema: startMessageSchema },
  { name: 'stream/utterance', title: 'utterance', description: '/v1/stream, text calls (start.input "text"): one utterance transcribed elsewhere, instead of audio (docs/text-input.md)', direction: 'in', schema: utteranceMessageSchema },
  { name: 'stream/stop', title: 'stop', description: '/v1/stream: end of audio; the server answers with the summary and closes', direction: 'in', schema: stopMessageSchema },
  { name: 'stream/started', title: 'started', description: "/v1/stream: the server's answer to start", direction: 'out', schema: startedMessageSchema },
  { name: 'events/transcript', title: 'transcript', description: transcriptEventSchema.description ?? '', direction: 'out', schema: transcriptEventSchema },
  { name: 'events/alert', title: 'alert', description: 'A detector matched', direction: 'out', schema: alertEventSchema },
  { name: 'events/alert_withdrawn', title: 'alert_withdrawn', description: 'A tentative alert the final transcript did not confirm', direction: 'out', schema: alertWithdrawnEventSchema },
  { name: 'events/warning', title: 'warning', description: 'The results of this call are questionable (model_fit, ...)', direction: 'out', schema: warningEventSchema },
  { name: 'events/driver', title: 'driver', description: "The call's drivers changed (docs/voc.md); also PUBSUB <prefix>:drivers", direction: 'out', schema: driverEventSchema },
  { name: 'events/summary', title: 'summary', description: "The call's last event; also the Redis value <prefix>:call:{<callId>}:summary", direction: 'out', schema: callSummarySchema },
  { name: 'events/error', title: 'error', description: 'An input error; the server closes the socket after it', direction: 'out', schema: errorEventSchema },
  // Redis
  { name: 'redis/call-hash', title: 'call hash', description: 'HASH <prefix>:call:{<callId>}', direction: 'out', schema: callHashSchema },
  { name: 'redis/alert-stream-entry', title: 'alert stream entry', description: 'STREAM entries of <prefix>:alerts and <prefix>:call:{<callId>}:alerts', direction: 'out', schema: alertStreamEntrySchema },
  { name: 'redis/call-started', title: 'call_started', description: 'PUBSUB <prefix>:calls', direction: 'out', schema: callStartedMessageSchema },
  { name: 'redis/call-tags', title: 'call_tags', description: 'PUBSUB <prefix>:calls', direction: 'out', schema: callTagsMessageSchema },
  { name: 'redis/call-ended', title: 'call_ended', description: 'PUBSUB <prefix>:calls', direction: 'out', schema: callEndedMessageSchema },
  { name: 'redis/voc-department-entry', title: 'department stream entry', description: 'STREAM <prefix>:{voc}:dept:<department>, field `event` (docs/voc.md)', direction: 'out', schema: departmentEntrySchema },
  { name: 'redis/voc-spike-event', title: 'spike event', description: 'PUBSUB <prefix>:spikes: spike, spike_end, spike_update (docs/voc.md)', direction: 'out', schema: spikeChannelEventSchema },
  // /v1/vosk (vosk-server's WebSocket protocol)
  { name: 'vosk/config', title: 'config', description: '/v1/vosk: recognizer options, before the audio', direction: 'in', schema: configMessageSchema },
  { name: 'vosk/reset', title: 'reset', description: '/v1/vosk: answered with the final result so far; the stream carries on', direction: 'in', schema: resetMessageSchema },
  { name: 'vosk/eof', title: 'eof', description: '/v1/vosk: end of audio; answered with the final result, then the server closes', direction: 'in', schema: eofMessageSchema },
  { name: 'vosk/reply', title: 'reply', description: '/v1/vosk: one reply per audio frame once it is decoded (partial or result)', direction: 'out', schema: voskReplySchema },
  // Third-party protocols: what the engine accepts of them
  { name: 'twilio/message', title: 'Twilio Media Streams message', description: '/v1/twilio: text frames the engine accepts', direction: 'in', schema: twilioMessageSchema },
  { name: 'audiohook/client-message', title: 'AudioHook client message', description: '/v1/audiohook: text frames the engine accepts', direction: 'in', schema: audiohookClientMessageSchema },
  { name: 'fork/metadata', title: 'mod_audio_fork / jambonz metadata', description: '/v1/fork: the first text frame (JSON); other fields become call metadata', direction: 'in', schema: forkMetadataSchema },
];
