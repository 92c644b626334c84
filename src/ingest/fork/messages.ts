import { z } from 'zod';

/**
 * FreeSWITCH mod_audio_fork (drachtio-freeswitch-modules) and jambonz `listen`: the client opens the
 * socket with a subprotocol, sends one text frame of metadata, then binary L16 (PCM16 LE) frames.
 * jambonz metadata is JSON with the call attributes plus `sampleRate` and `mixType`; mod_audio_fork
 * metadata is whatever text the `uuid_audio_fork ... start` command was given (JSON by convention).
 */

/** Subprotocols the two clients request: jambonz, mod_audio_fork (current and older builds). */
export const FORK_SUBPROTOCOLS = ['audio.jambonz.org', 'audio.drachtio.org', 'audiostream.drachtio.org'] as const;

export const MIX_TYPES = ['mono', 'mixed', 'stereo'] as const;
export type MixType = (typeof MIX_TYPES)[number];

/** "16000", 16000 or mod_audio_fork's "16k". */
export const sampleRateSchema = z
  .union([z.number(), z.string().regex(/^\d+(?:k)?$/i, 'must be a rate in Hz, or "8k" / "16k"')])
  .transform((v) => (typeof v === 'number' ? v : /k$/i.test(v) ? Number(v.slice(0, -1)) * 1000 : Number(v)))
  .pipe(z.number().int().positive());

/** The fields the engine reads from a JSON metadata frame; everything else is kept as call metadata. */
export const metadataSchema = z.looseObject({
  callSid: z.string().min(1).max(128).optional(),
  callId: z.string().min(1).max(128).optional(),
  callid: z.string().min(1).max(128).optional(),
  uuid: z.string().min(1).max(128).optional(),
  sampleRate: sampleRateSchema.optional(),
  mixType: z.enum(MIX_TYPES).optional(),
  language: z.string().min(2).max(16).optional(),
});
export type ForkMetadata = z.infer<typeof metadataSchema>;

/** Query parameters of the socket URL: the way to tell raw mod_audio_fork the mix type and rate. */
export const querySchema = z.object({
  mixType: z.enum(MIX_TYPES).optional(),
  sampleRate: sampleRateSchema.optional(),
  language: z.string().min(2).max(16).optional(),
});

/** Error report in mod_audio_fork's server-message format (it raises `mod_audio_fork::error`). */
export interface ForkErrorMessage {
  type: 'error';
  data: { code: string; message: string };
}
