import { z } from 'zod';

/**
 * Messages Twilio Media Streams sends to the WebSocket server (JSON text frames), per
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages. Twilio numbers are strings on
 * the wire ("sequenceNumber": "1", "timestamp": "5"); the schemas accept digits as strings or numbers
 * and yield numbers.
 */

const counter = z.union([z.string().regex(/^\d{1,15}$/, 'must be a decimal integer'), z.number().int().nonnegative()]).transform(Number);
const sid = z.string().min(1).max(64);

export const TWILIO_TRACKS = ['inbound', 'outbound'] as const;
export type TwilioTrack = (typeof TWILIO_TRACKS)[number];

export const connectedMessageSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

export const startMessageSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counter,
  streamSid: sid.optional(),
  start: z.object({
    streamSid: sid,
    accountSid: sid,
    callSid: sid,
    tracks: z.array(z.enum(TWILIO_TRACKS)).min(1).max(2),
    customParameters: z.record(z.string(), z.unknown()).default({}),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number(),
      channels: z.number(),
    }),
  }),
});

/** Base64 as Twilio sends it (standard alphabet, padded); Buffer.from would silently skip junk. */
const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');

export const mediaMessageSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counter,
  streamSid: sid.optional(),
  media: z.object({
    track: z.enum(TWILIO_TRACKS),
    chunk: counter,
    /** Presentation timestamp, ms from the start of the stream. */
    timestamp: counter,
    payload: base64,
  }),
});

export const markMessageSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: counter,
  streamSid: sid.optional(),
  mark: z.object({ name: z.string() }),
});

export const dtmfMessageSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counter,
  streamSid: sid.optional(),
  dtmf: z.object({ track: z.string().optional(), digit: z.string() }),
});

export const stopMessageSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: counter,
  streamSid: sid.optional(),
  stop: z.object({ accountSid: sid.optional(), callSid: sid.optional() }).optional(),
});

export const twilioMessageSchema = z.discriminatedUnion('event', [
  connectedMessageSchema,
  startMessageSchema,
  mediaMessageSchema,
  markMessageSchema,
  dtmfMessageSchema,
  stopMessageSchema,
]);

export type TwilioMessage = z.infer<typeof twilioMessageSchema>;
export type TwilioEvent = TwilioMessage['event'];
export type StartMessage = z.infer<typeof startMessageSchema>;
export type MediaMessage = z.infer<typeof mediaMessageSchema>;
export const TWILIO_EVENTS: readonly TwilioEvent[] = ['connected', 'start', 'media', 'mark', 'dtmf', 'stop'];

/** Twilio's only media format; anything else is not Twilio. */
export const TWILIO_MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
