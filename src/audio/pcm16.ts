import { endianness } from 'node:os';
import { CallInputError } from '../session/errors.js';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Signed 16-bit little-endian bytes -> samples. On a little-endian host with an even byteOffset the
 * result is a zero-copy view of `bytes` (it shares memory with it); otherwise it is a copy.
 * Throws CallInputError('bad_frame_size') on an odd byte count (half a sample).
 */
export function pcm16leToInt16(bytes: Uint8Array): Int16Array {
  if (bytes.length % 2 !== 0)
    throw new CallInputError('bad_frame_size', `pcm16 audio must be a whole number of 2-byte samples (got ${bytes.length} bytes)`);
  const n = bytes.length >> 1;
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Int16Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = ((bytes[j]! | (bytes[j + 1]! << 8)) << 16) >> 16;
  return out;
}

/** Samples -> a new Buffer of signed 16-bit little-endian bytes (never shares memory with `samples`). */
export function int16ToPcm16le(samples: Int16Array): Buffer {
  const n = samples.length;
  // allocUnsafeSlow gives byteOffset 0, so an Int16Array view of it is always aligned.
  const out = Buffer.allocUnsafeSlow(n * 2);
  if (LITTLE_ENDIAN_HOST) {
    new Int16Array(out.buffer, out.byteOffset, n).set(samples);
  } else {
    for (let i = 0; i < n; i++) out.writeInt16LE(samples[i]!, i * 2);
  }
  return out;
}
