import { execFile } from 'node:child_process';
import { pcm16leToInt16 } from '../../audio/pcm16.js';
import { Resampler } from '../../audio/resampler.js';
import { readWavInfo } from '../../audio/wav.js';

/** espeak-ng is not installed (not on the PATH). */
export class EspeakMissingError extends Error {
  constructor() {
    super('espeak-ng is not installed');
    this.name = 'EspeakMissingError';
  }
}

export interface EspeakVoice {
  /** espeak-ng voice with variant, e.g. "en-us+f3". */
  name: string;
  /** Speaking rate, words per minute (espeak-ng's default is 175). */
  wordsPerMinute: number;
  /** Pitch 0-99 (default 50). */
  pitch: number;
}

/** espeak-ng writes a few hundred KB per sentence; this bounds a runaway one. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Edge samples quieter than this (int16) are trimmed, so turn timing is the script's, not espeak's padding. */
const TRIM_LEVEL = 200;

/** Says `text` with espeak-ng and returns mono PCM16 at `sampleRate` (espeak-ng's 22.05 kHz, resampled). */
export async function espeak(text: string, voice: EspeakVoice, sampleRate: number): Promise<Int16Array> {
  const wav = await runEspeak(['-v', voice.name, '-s', String(voice.wordsPerMinute), '-p', String(voice.pitch), '--stdout', text]).catch((err: unknown) => {
    if (err instanceof Error && /voice does not exist/i.test(err.message))
      throw new Error(`espeak-ng has no voice "${voice.name}" (list the languages with \`espeak-ng --voices\`)`);
    throw err;
  });
  // --stdout cannot seek back to fix the sizes in the header; readWavInfo takes what the file holds.
  const info = await readWavInfo(async (offset, length) => wav.subarray(offset, offset + length), wav.length);
  if (info.encoding !== 'pcm16' || info.channels !== 1) throw new Error(`espeak-ng wrote ${info.encoding} with ${info.channels} channels; expected mono PCM16`);
  const samples = pcm16leToInt16(wav.subarray(info.dataOffset, info.dataOffset + info.dataBytes));
  const resampler = new Resampler(info.sampleRate, sampleRate, { quality: 'high' });
  return trimSilence(concat(resampler.process(samples), resampler.flush()));
}

function runEspeak(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('espeak-ng', args, { encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new EspeakMissingError());
      const said = stderr.toString('utf8').trim();
      if (err) return reject(new Error(`espeak-ng failed: ${said || err.message}`));
      // An unknown voice is reported on stderr with exit code 0 and no audio.
      if (stdout.length === 0) return reject(new Error(`espeak-ng produced no audio${said ? `: ${said}` : ''}`));
      resolve(stdout);
    });
  });
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function trimSilence(samples: Int16Array): Int16Array {
  let start = 0;
  let end = samples.length;
  while (start < end && Math.abs(samples[start]!) < TRIM_LEVEL) start++;
  while (end > start && Math.abs(samples[end - 1]!) < TRIM_LEVEL) end--;
  return samples.subarray(start, end);
}
