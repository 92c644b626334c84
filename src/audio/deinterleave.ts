import { CallInputError } from '../session/errors.js';

/**
 * Interleaved samples (frame i = samples[i*channels .. i*channels+channels-1]) -> one array per
 * channel. With one channel the input itself is returned (no copy).
 * Throws CallInputError('bad_frame_size') when the length is not a whole number of frames.
 */
export function deinterleave(samples: Int16Array, channels: number): Int16Array[] {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be a positive integer (got ${channels})`);
  if (channels === 1) return [samples];
  if (samples.length % channels !== 0)
    throw new CallInputError('bad_frame_size', `${samples.length} samples is not a whole number of ${channels}-channel frames`);
  const frames = samples.length / channels;
  const out: Int16Array[] = [];
  for (let c = 0; c < channels; c++) {
    const channel = new Int16Array(frames);
    for (let i = 0, j = c; i < frames; i++, j += channels) channel[i] = samples[j]!;
    out.push(channel);
  }
  return out;
}
