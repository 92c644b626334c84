import { open, type FileHandle } from 'node:fs/promises';
import type { AudioEncoding } from './format.js';

/**
 * RIFF/WAVE reading for recordings (`voc replay`): PCM16, mu-law (format 7) and A-law (format 6),
 * any channel count, plain or WAVE_FORMAT_EXTENSIBLE headers. The data chunk is streamed, never read
 * whole, so hour-long recordings use bounded memory.
 */

/** A recording the engine cannot read; the message says why and, where possible, how to convert it. */
export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

export interface WavInfo {
  encoding: AudioEncoding;
  /** Hz. */
  sampleRate: number;
  channels: number;
  /** Bytes of one sample frame (all channels). */
  blockAlign: number;
  /** File offset of the first audio byte. */
  dataOffset: number;
  /** Audio bytes, a whole number of frames (a trailing partial frame is ignored). */
  dataBytes: number;
  /** Duration of the audio in ms. */
  durationMs: number;
}

const FORMAT_PCM = 1;
const FORMAT_IEEE_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Chunks we walk past before giving up on finding `fmt ` and `data`. */
const MAX_CHUNKS = 64;
const CONVERT_HINT = 'convert it, e.g. `sox in.wav -e signed-integer -b 16 out.wav`';

type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/** Reads and validates the header of a WAV file: where the audio is and in which format. */
export async function readWavInfo(read: ReadAt, fileSize: number): Promise<WavInfo> {
  if (fileSize < 12) throw new WavFormatError(`not a WAV file: only ${fileSize} bytes`);
  const riff = await read(0, 12);
  const magic = riff.toString('latin1', 0, 4);
  if (magic === 'RF64') throw new WavFormatError('RF64 (WAV over 4 GiB) is not supported: split the recording');
  if (magic !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WAVE') throw new WavFormatError('not a WAV file: no RIFF/WAVE header');

  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'durationMs'> | undefined;
  let offset = 12;
  for (let i = 0; i < MAX_CHUNKS && offset + 8 <= fileSize; i++) {
    const head = await read(offset, 8);
    const id = head.toString('latin1', 0, 4);
    const size = head.readUInt32LE(4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavFormatError(`fmt chunk too short (${size} bytes)`);
      fmt = parseFmt(await read(body, Math.min(size, 40)));
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before the fmt chunk');
      // Recorders that never finalized the header leave 0 or 0xFFFFFFFF: take the rest of the file.
      const declared = size === 0 || size === 0xffffffff ? fileSize - body : size;
      const available = Math.min(declared, fileSize - body);
      const dataBytes = available - (available % fmt.blockAlign);
      const durationMs = ((dataBytes / fmt.blockAlign) * 1000) / fmt.sampleRate;
      return { ...fmt, dataOffset: body, dataBytes, durationMs };
    }
    offset = body + size + (size % 2); // chunks are padded to an even size
  }
  throw new WavFormatError(fmt ? 'no data chunk found' : 'no fmt chunk found');
}

function parseFmt(b: Buffer): Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'durationMs'> {
  let format = b.readUInt16LE(0);
  const channels = b.readUInt16LE(2);
  const sampleRate = b.readUInt32LE(4);
  const blockAlign = b.readUInt16LE(12);
  const bits = b.readUInt16LE(14);
  if (format === FORMAT_EXTENSIBLE) {
    if (b.length < 26) throw new WavFormatError('WAVE_FORMAT_EXTENSIBLE header too short');
    format = b.readUInt16LE(24); // first two bytes of the SubFormat GUID are the format code
  }
  if (channels < 1) throw new WavFormatError('fmt chunk says 0 channels');
  if (sampleRate < 1) throw new WavFormatError('fmt chunk says sample rate 0');
  let encoding: AudioEncoding;
  if (format === FORMAT_PCM) {
    if (bits !== 16) throw new WavFormatError(`${bits}-bit PCM is not supported (16-bit only): ${CONVERT_HINT}`);
    encoding = 'pcm16';
  } else if (format === FORMAT_MULAW || format === FORMAT_ALAW) {
    if (bits !== 8) throw new WavFormatError(`${bits}-bit G.711 is not valid (8-bit only)`);
    encoding = format === FORMAT_MULAW ? 'mulaw' : 'alaw';
  } else if (format === FORMAT_IEEE_FLOAT) {
    throw new WavFormatError(`32-bit float audio is not supported: ${CONVERT_HINT}`);
  } else {
    throw new WavFormatError(`audio format ${format} is not supported (PCM16, mu-law and A-law only): ${CONVERT_HINT}`);
  }
  const expectedAlign = channels * (encoding === 'pcm16' ? 2 : 1);
  if (blockAlign !== expectedAlign) throw new WavFormatError(`block align ${blockAlign} does not match ${channels} channel(s) of ${bits}-bit audio`);
  return { encoding, sampleRate, channels, blockAlign };
}

/** An open WAV file: its format, and its audio in chunks of whole frames. */
export class WavFile {
  private constructor(
    readonly path: string,
    readonly info: WavInfo,
    private readonly handle: FileHandle,
  ) {}

  /** Throws WavFormatError for a file that is not a supported WAV; the fs error for an unreadable one. */
  static async open(path: string): Promise<WavFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const read: ReadAt = async (offset, length) => {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      };
      return new WavFile(path, await readWavInfo(read, size), handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Audio in chunks of `frameMs` (whole sample frames), in file order. */
  async *chunks(frameMs: number): AsyncGenerator<Buffer> {
    const { blockAlign, sampleRate, dataOffset, dataBytes } = this.info;
    const chunkBytes = Math.max(1, Math.round((sampleRate * frameMs) / 1000)) * blockAlign;
    for (let at = 0; at < dataBytes; at += chunkBytes) {
      const length = Math.min(chunkBytes, dataBytes - at);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await this.handle.read(buffer, 0, length, dataOffset + at);
      if (bytesRead < length) throw new WavFormatError(`file ended early: ${this.path} is truncated`);
      yield buffer;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Writes a canonical WAV (PCM16, mu-law or A-law) around interleaved audio bytes. */
export function encodeWav(audio: Buffer, format: { encoding: AudioEncoding; sampleRate: number; channels: number }): Buffer {
  const bytesPerSample = format.encoding === 'pcm16' ? 2 : 1;
  const code = format.encoding === 'pcm16' ? FORMAT_PCM : format.encoding === 'mulaw' ? FORMAT_MULAW : FORMAT_ALAW;
  const blockAlign = format.channels * bytesPerSample;
  // G.711 headers carry cbSize (fmt chunk of 18 bytes) as the format spec asks for non-PCM data.
  const fmtSize = code === FORMAT_PCM ? 16 : 18;
  const header = Buffer.alloc(12 + 8 + fmtSize + 8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(header.length - 8 + audio.length + (audio.length % 2), 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(fmtSize, 16);
  header.writeUInt16LE(code, 20);
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bytesPerSample * 8, 34);
  if (fmtSize === 18) header.writeUInt16LE(0, 36);
  header.write('data', 20 + fmtSize, 'latin1');
  header.writeUInt32LE(audio.length, 24 + fmtSize);
  return Buffer.concat([header, audio, Buffer.alloc(audio.length % 2)]);
}
