import { mulawEncode } from '../../audio/g711.js';
import { encodeWav } from '../../audio/wav.js';

/** What `voc sample` writes: telephony audio, one party per channel, in the order `voc stream` assumes. */
export const SAMPLE_PARTIES = ['customer', 'agent'] as const;
export const SAMPLE_FORMAT = { encoding: 'mulaw', sampleRate: 8000, channels: SAMPLE_PARTIES.length } as const;

/** Interleaves one mono PCM16 track per party (SAMPLE_PARTIES order) into a mu-law WAV; the shorter is padded with silence. */
export function stereoCallWav(tracks: Record<(typeof SAMPLE_PARTIES)[number], Int16Array>): Buffer {
  const channels = SAMPLE_PARTIES.map((p) => tracks[p]);
  const length = Math.max(...channels.map((t) => t.length));
  const interleaved = new Int16Array(length * channels.length);
  channels.forEach((track, c) => {
    for (let i = 0; i < track.length; i++) interleaved[i * channels.length + c] = track[i]!;
  });
  return encodeWav(Buffer.from(mulawEncode(interleaved)), SAMPLE_FORMAT);
}
