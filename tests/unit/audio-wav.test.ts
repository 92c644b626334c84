import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav, readWavInfo, WavFile, WavFormatError } from '../../src/audio/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'voc-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reader(buf: Buffer) {
  return async (offset: number, length: number) => buf.subarray(offset, Math.min(buf.length, offset + length));
}
const info = (buf: Buffer) => readWavInfo(reader(buf), buf.length);

/** A RIFF file from raw chunks (id, body), padded as the format requires. */
function riff(chunks: Array<[string, Buffer]>, declaredSizes: Record<string, number> = {}): Buffer {
  const parts = chunks.map(([id, body]) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(declaredSizes[id] ?? body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  });
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...parts]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function fmt(format: number, channels: number, rate: number, bits: number, extra?: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return extra ? Buffer.concat([b, extra]) : b;
}

describe('WAV reading', () => {
  it.each([
    ['pcm16', 1, 16000],
    ['pcm16', 2, 8000],
    ['mulaw', 2, 8000],
    ['alaw', 1, 8000],
  ] as const)('reads what encodeWav writes: %s, %i channel(s), %i Hz', async (encoding, channels, sampleRate) => {
    const frameBytes = channels * (encoding === 'pcm16' ? 2 : 1);
    const audio = Buffer.alloc(sampleRate * frameBytes / 2, 7); // 500 ms
    const wav = encodeWav(audio, { encoding, sampleRate, channels });
    const got = await info(wav);
    expect(got).toMatchObject({ encoding, sampleRate, channels, blockAlign: frameBytes, dataBytes: audio.length, durationMs: 500 });
    expect(wav.subarray(got.dataOffset, got.dataOffset + got.dataBytes).equals(audio)).toBe(true);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with a PCM subformat, and skips other chunks (odd sizes padded)', async () => {
    const ext = Buffer.alloc(24);
    ext.writeUInt16LE(22, 0); // cbSize
    ext.writeUInt16LE(16, 2); // valid bits
    ext.writeUInt32LE(3, 4); // channel mask
    ext.writeUInt16LE(1, 8); // SubFormat GUID starts with the format code (PCM)
    const wav = riff([
      ['fmt ', fmt(0xfffe, 2, 16000, 16, ext)],
      ['LIST', Buffer.from('odd', 'latin1')],
      ['data', Buffer.alloc(64)],
    ]);
    expect(await info(wav)).toMatchObject({ encoding: 'pcm16', channels: 2, sampleRate: 16000, dataBytes: 64 });
  });

  it('takes the rest of the file when the recorder never finalized the data size, ignoring a partial last frame', async () => {
    const wav = riff([['fmt ', fmt(1, 2, 8000, 16)], ['data', Buffer.alloc(4 * 10 + 2)]], { data: 0 });
    expect((await info(wav)).dataBytes).toBe(40);
  });

  it.each([
    ['not RIFF', Buffer.from('ID3\u0004 not a wav at all', 'latin1'), /not a WAV file/],
    ['too short', Buffer.from('RIFF'), /not a WAV file/],
    ['8-bit PCM', riff([['fmt ', fmt(1, 1, 8000, 8)], ['data', Buffer.alloc(8)]]), /8-bit PCM is not supported.*sox/],
    ['float', riff([['fmt ', fmt(3, 1, 8000, 32)], ['data', Buffer.alloc(8)]]), /float audio is not supported/],
    ['MP3 in WAV', riff([['fmt ', fmt(0x55, 1, 8000, 16)], ['data', Buffer.alloc(8)]]), /audio format 85 is not supported/],
    ['no data chunk', riff([['fmt ', fmt(1, 1, 8000, 16)]]), /no data chunk/],
    ['data before fmt', riff([['data', Buffer.alloc(8)], ['fmt ', fmt(1, 1, 8000, 16)]]), /data chunk before the fmt chunk/],
  ])('refuses %s with a reason', async (_name, buf, message) => {
    await expect(info(buf)).rejects.toThrow(WavFormatError);
    await expect(info(buf)).rejects.toThrow(message);
  });

  it('streams the data chunk in whole frames', async () => {
    const audio = Buffer.from(Array.from({ length: 8000 * 2 * 0.25 }, (_, i) => i % 251)); // 250 ms, stereo mu-law
    const path = join(dir, 'stream.wav');
    writeFileSync(path, encodeWav(audio, { encoding: 'mulaw', sampleRate: 8000, channels: 2 }));
    const wav = await WavFile.open(path);
    const chunks: Buffer[] = [];
    for await (const c of wav.chunks(100)) chunks.push(c);
    await wav.close();
    expect(chunks.map((c) => c.length)).toEqual([1600, 1600, 800]);
    expect(Buffer.concat(chunks).equals(audio)).toBe(true);
  });
});
