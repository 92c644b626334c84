import { alawDecode, mulawDecode, mulawEncode } from '../../../audio/g711.js';
import { int16ToPcm16le, pcm16leToInt16 } from '../../../audio/pcm16.js';
import { Resampler } from '../../../audio/resampler.js';
import { WavFile } from '../../../audio/wav.js';
import type { ToneDataset, ToneFile } from './dataset.js';

/**
 * Calls for `voc eval tone`: one call per speaker, that speaker's files one after the other with
 * pauses of silence between them, in two orders, each in two line formats.
 * - calm-first: every calm file (seeded shuffle), then every raised file (seeded shuffle);
 * - angry-first: a seeded shuffle of all files that starts with a raised one ("angry from the first word").
 * - pcm16-16k: 16 kHz PCM16; mulaw-8k: resampled to 8 kHz and G.711 mu-law encoded, as a phone line.
 */

export const CALL_ORDERS = ['calm-first', 'angry-first'] as const;
export type CallOrder = (typeof CALL_ORDERS)[number];

export const LINE_FORMATS = ['pcm16-16k', 'mulaw-8k'] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

/** Where one file lies in a call, ms from call start. */
export interface CallSegment {
  file: ToneFile;
  startMs: number;
  endMs: number;
  /** Start of the speech in the file (first frame within 25 dB of the file's loudest), ms from call start. */
  speechStartMs: number;
}

export interface EvalCall {
  speaker: string;
  order: CallOrder;
  segments: CallSegment[];
  /** PCM16 at 16 kHz of the whole call (the mu-law format is derived from it by lineAudio). */
  pcm: Int16Array;
}

export interface CallLayout {
  /** Silence before the first file, ms. */
  leadMs: number;
  /** Pause between files: uniform in [minPauseMs, maxPauseMs]. */
  minPauseMs: number;
  maxPauseMs: number;
  seed: number;
}

export const DEFAULT_LAYOUT: CallLayout = { leadMs: 500, minPauseMs: 1000, maxPauseMs: 1500, seed: 1 };

export const CALL_RATE = 16_000;

/** Deterministic PRNG (mulberry32): the same seed gives the same calls on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The speaker's files in the call's order. */
export function orderFiles(files: readonly ToneFile[], order: CallOrder, random: () => number): ToneFile[] {
  const calm = files.filter((f) => f.label === 'calm');
  const raised = files.filter((f) => f.label === 'raised');
  if (order === 'calm-first') return [...shuffle(calm, random), ...shuffle(raised, random)];
  const all = shuffle(files, random);
  const first = all.findIndex((f) => f.label === 'raised');
  if (first > 0) all.unshift(...all.splice(first, 1));
  return all;
}

/** A recording as 16 kHz PCM16, whatever its encoding and rate. */
export async function readRecording(path: string): Promise<Int16Array> {
  const wav = await WavFile.open(path);
  try {
    const { encoding, sampleRate } = wav.info;
    const parts: Int16Array[] = [];
    const resampler = new Resampler(sampleRate, CALL_RATE);
    for await (const chunk of wav.chunks(1000)) {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      const pcm = encoding === 'pcm16' ? pcm16leToInt16(bytes) : encoding === 'mulaw' ? mulawDecode(bytes) : alawDecode(bytes);
      parts.push(resampler.process(pcm));
    }
    parts.push(resampler.flush());
    return concat(parts);
  } finally {
    await wav.close();
  }
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ONSET_FRAME_MS = 20;
const ONSET_BELOW_PEAK_DB = 25;

/** Offset of the speech in a recording, ms: the first 20 ms frame within 25 dB of the loudest one. */
export function speechOnsetMs(pcm: Int16Array, sampleRate: number): number {
  const hop = Math.round((sampleRate * ONSET_FRAME_MS) / 1000);
  const energies: number[] = [];
  for (let at = 0; at + hop <= pcm.length; at += hop) {
    let sum = 0;
    for (let i = at; i < at + hop; i++) sum += pcm[i]! * pcm[i]!;
    energies.push(sum / hop);
  }
  const peak = Math.max(0, ...energies);
  if (peak === 0) return 0;
  const threshold = peak / 10 ** (ONSET_BELOW_PEAK_DB / 10);
  const first = energies.findIndex((e) => e >= threshold);
  return first * ONSET_FRAME_MS;
}

/** One call of a speaker: files in `order`, separated by seeded pauses. */
export async function buildCall(
  speaker: string,
  files: readonly ToneFile[],
  order: CallOrder,
  layout: CallLayout,
  read: (path: string) => Promise<Int16Array> = readRecording,
): Promise<EvalCall> {
  const random = seededRandom(layout.seed ^ hashString(`${speaker}|${order}`));
  const ordered = orderFiles(files, order, random);
  const samplesPerMs = CALL_RATE / 1000;
  const parts: Int16Array[] = [new Int16Array(Math.round(layout.leadMs * samplesPerMs))];
  let at = parts[0]!.length;
  const segments: CallSegment[] = [];
  for (const [i, file] of ordered.entries()) {
    if (i > 0) {
      const pauseMs = layout.minPauseMs + random() * (layout.maxPauseMs - layout.minPauseMs);
      const pause = new Int16Array(Math.round(pauseMs * samplesPerMs));
      parts.push(pause);
      at += pause.length;
    }
    const pcm = await read(file.path);
    const startMs = at / samplesPerMs;
    segments.push({ file, startMs, endMs: startMs + pcm.length / samplesPerMs, speechStartMs: startMs + speechOnsetMs(pcm, CALL_RATE) });
    parts.push(pcm);
    at += pcm.length;
  }
  return { speaker, order, segments, pcm: concat(parts) };
}

/** Every call of the set: one per speaker and order. */
export async function buildCalls(dataset: ToneDataset, layout: CallLayout): Promise<EvalCall[]> {
  const calls: EvalCall[] = [];
  for (const speaker of dataset.speakers) {
    const files = dataset.files.filter((f) => f.speaker === speaker);
    for (const order of CALL_ORDERS) calls.push(await buildCall(speaker, files, order, layout));
  }
  return calls;
}

/** The call's audio as the line carries it: encoding, rate and the bytes to send. */
export function lineAudio(call: EvalCall, format: LineFormat): { encoding: 'pcm16' | 'mulaw'; sampleRate: number; bytes: Buffer } {
  if (format === 'pcm16-16k') {
    return { encoding: 'pcm16', sampleRate: CALL_RATE, bytes: int16ToPcm16le(call.pcm) };
  }
  const resampler = new Resampler(CALL_RATE, 8000);
  const pcm8k = concat([resampler.process(call.pcm), resampler.flush()]);
  return { encoding: 'mulaw', sampleRate: 8000, bytes: Buffer.from(mulawEncode(pcm8k)) };
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
