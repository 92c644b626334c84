/**
 * ITU-T G.711 mu-law and A-law, table-driven. The per-sample formulas follow the ITU-T G.191
 * software tool library (g711.c), so codes and levels match the ITU tables bit for bit; they run
 * once at module load to fill the tables, and the hot paths are plain lookups.
 */

/** G.191 `ulaw_expand` for one code: 16-bit linear level. */
function mulawExpandOne(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const inverted = ~code;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

/** G.191 `alaw_expand` for one code: 16-bit linear level. */
function alawExpandOne(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 0x08;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 127 ? mantissa : -mantissa;
}

/** G.191 `ulaw_compress` for one 16-bit sample (uses its top 14 bits). */
function mulawCompressOne(sample: number): number {
  // One's complement for negatives, so -1 encodes as "negative zero" like the ITU reference.
  let absno = sample < 0 ? (~sample >> 2) + 33 : (sample >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const high = 0x08 - segno;
  const low = 0x0f - ((absno >> segno) & 0x0f);
  const code = (high << 4) | low;
  return sample >= 0 ? code | 0x80 : code;
}

/** G.191 `alaw_compress` for one 16-bit sample (uses its top 12 bits + sign). */
function alawCompressOne(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16;
    ix += exponent << 4;
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

function buildDecodeTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

/** Code for every value of `sample >> shift`; index is (sample >> shift) + (32768 >> shift). */
function buildEncodeTable(compress: (sample: number) => number, shift: number): Uint8Array {
  const size = 65536 >> shift;
  const table = new Uint8Array(size);
  for (let i = 0; i < size; i++) table[i] = compress((i << shift) - 32768);
  return table;
}

/** mu-law code -> linear PCM16 (index by the byte). Shared and read-only: do not write to it. */
export const MULAW_TO_LINEAR: Int16Array = buildDecodeTable(mulawExpandOne);
/** A-law code -> linear PCM16 (index by the byte). Shared and read-only: do not write to it. */
export const ALAW_TO_LINEAR: Int16Array = buildDecodeTable(alawExpandOne);
// mu-law only looks at the top 14 bits of a sample, A-law at the top 12 (plus sign).
const LINEAR_TO_MULAW = buildEncodeTable(mulawCompressOne, 2);
const LINEAR_TO_ALAW = buildEncodeTable(alawCompressOne, 4);

function decodeWith(table: Int16Array, bytes: Uint8Array): Int16Array {
  const n = bytes.length;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = table[bytes[i]!]!;
  return out;
}

export function mulawDecode(bytes: Uint8Array): Int16Array {
  return decodeWith(MULAW_TO_LINEAR, bytes);
}

export function alawDecode(bytes: Uint8Array): Int16Array {
  return decodeWith(ALAW_TO_LINEAR, bytes);
}

export function mulawEncode(samples: Int16Array): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = LINEAR_TO_MULAW[(samples[i]! >> 2) + 8192]!;
  return out;
}

export function alawEncode(samples: Int16Array): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = LINEAR_TO_ALAW[(samples[i]! >> 4) + 2048]!;
  return out;
}
