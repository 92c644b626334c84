import { mulawEncode, alawEncode } from '../../audio/g711.js';
import { int16ToPcm16le } from '../../audio/pcm16.js';
import type { AudioEncoding } from '../../audio/format.js';
import { speakPhrase, phraseDurationMs, type SpeakOptions } from './speak.js';

/** One line of a scripted call: `party` says `text` (tone words of the tiny model) at `atMs`. */
export interface ScriptLine {
  party: string;
  atMs: number;
  text: string;
}

export interface ExpectedWord {
  party: string;
  word: string;
  startMs: number;
  endMs: number;
}

export interface GeneratedCall {
  /** Interleaved audio in the requested encoding (channel i = parties[i]). */
  bytes: Buffer;
  /** Mono PCM per party at the call rate, before encoding. */
  pcm: Record<string, Int16Array>;
  durationMs: number;
  /** Where each word's tone really is, in ms from call start. */
  words: ExpectedWord[];
  bytesPerFrame: number;
}

export interface CallAudioOptions {
  parties: readonly string[];
  sampleRate?: number;
  encoding?: AudioEncoding;
  /** Total length; defaults to the last line's end + 2 s of silence (lets the recognizer endpoint). */
  durationMs?: number;
  speak?: Omit<SpeakOptions, 'sampleRate'>;
}

/** Renders a scripted call to interleaved wire audio, with the true word times for assertions. */
export function buildCallAudio(script: readonly ScriptLine[], options: CallAudioOptions): GeneratedCall {
  const sampleRate = options.sampleRate ?? 8000;
  const encoding = options.encoding ?? 'mulaw';
  const speak: SpeakOptions = { ...options.speak, sampleRate };
  const wordMs = speak.wordMs ?? 400;
  const gapMs = speak.gapMs ?? 150;
  const lastEnd = Math.max(0, ...script.map((l) => l.atMs + phraseDurationMs(l.text, speak)));
  const durationMs = options.durationMs ?? lastEnd + 2000;
  const total = Math.round((durationMs * sampleRate) / 1000);
  const pcm: Record<string, Int16Array> = {};
  for (const party of options.parties) pcm[party] = new Int16Array(total);
  const words: ExpectedWord[] = [];
  for (const line of script) {
    const track = pcm[line.party];
    if (!track) throw new Error(`party ${line.party} is not one of ${options.parties.join(', ')}`);
    const audio = speakPhrase(line.text, speak);
    const offset = Math.round((line.atMs * sampleRate) / 1000);
    track.set(audio.subarray(0, Math.max(0, Math.min(audio.length, total - offset))), offset);
    line.text.split(/\s+/).forEach((word, i) => {
      const startMs = line.atMs + i * (wordMs + gapMs);
      words.push({ party: line.party, word, startMs, endMs: startMs + wordMs });
    });
  }
  const channels = options.parties.length;
  const interleaved = new Int16Array(total * channels);
  options.parties.forEach((party, c) => {
    const track = pcm[party]!;
    for (let i = 0; i < total; i++) interleaved[i * channels + c] = track[i]!;
  });
  const bytes =
    encoding === 'pcm16' ? int16ToPcm16le(interleaved) : Buffer.from(encoding === 'mulaw' ? mulawEncode(interleaved) : alawEncode(interleaved));
  return { bytes, pcm, durationMs, words, bytesPerFrame: channels * (encoding === 'pcm16' ? 2 : 1) };
}

/** Splits wire audio into frames of `frameMs` (20 ms is what telephony sends). */
export function frames(call: GeneratedCall, sampleRate: number, frameMs = 20): Buffer[] {
  const size = Math.round((sampleRate * frameMs) / 1000) * call.bytesPerFrame;
  const out: Buffer[] = [];
  for (let i = 0; i < call.bytes.length; i += size) out.push(call.bytes.subarray(i, i + size));
  return out;
}
