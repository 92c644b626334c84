import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { mulawDecode } from '../../src/audio/g711.js';
import type { PartyPcm } from '../../src/audio/format.js';
import { raisedToneDetector, type RaisedToneSummary } from '../../src/analytics/raised-tone.js';
import { defaultMeasuresOptions } from '../../src/analytics/measures-options.js';
import type { DetectorOutput, DetectedAlert } from '../../src/analytics/types.js';
import { concat } from '../helpers/asr.js';

/**
 * Raised tone on speech synthesized by espeak-ng, converted by sox to telephone formats: 8 kHz mu-law
 * (decoded by the engine's own mulawDecode) and 16 kHz PCM16. Calls of ~60-90 s.
 */

const CALM = [
  'Hello, thank you for calling customer support, my name is Alex.',
  'I can see your account here, give me just a moment to pull up the details.',
  'It looks like your last payment was received on the fourteenth of the month.',
  'The charge you are asking about is for the premium package you added in March.',
  'I understand, let me check whether that change was made on your request.',
  'According to our notes, the upgrade was ordered online from your account.',
  'If you did not order it, we can open an investigation for you today.',
  'While I do that, could you please confirm the address on the account?',
  'Thank you, that matches what I have on file here.',
  'I will also send you a summary of this conversation by email.',
  'Is there anything else about the bill that looks unusual to you?',
  'The next invoice should already show the corrected amount.',
  'We usually process these requests within three to five business days.',
  'You will receive a confirmation number as soon as it is registered.',
  'Please keep that number in case you need to call us again.',
  'I appreciate your patience while we sort this out together.',
  'Let me read back the details so that we are both on the same page.',
  'Your case has now been created and assigned to our billing team.',
];

const RAISED = [
  'No, this is completely unacceptable, I never ordered anything like that!',
  'I have called you five times already and nobody ever fixes anything!',
  'I want this charge removed right now, not in five business days!',
  'Do you understand how much money you people have taken from me?',
];

interface Voice {
  name: string;
  espeakVoice: string;
}
interface Format {
  name: string;
  rate: number;
  mulaw: boolean;
}

const VOICES: Voice[] = [
  { name: 'male', espeakVoice: 'en-us' },
  { name: 'female', espeakVoice: 'en-us+f3' },
];
const FORMATS: Format[] = [
  { name: '8 kHz mu-law', rate: 8000, mulaw: true },
  { name: '16 kHz PCM16', rate: 16000, mulaw: false },
];

const CALM_STYLE = { amplitude: 60, pitch: 40, speed: 160 };
const RAISED_STYLE = { amplitude: 190, pitch: 75, speed: 175 };
/** The calm voice at the raised amplitude: about +10 dB of line gain, nothing else. */
const HOT_LINE_STYLE = { ...CALM_STYLE, amplitude: 190 };
const PAUSE_MS = 700;

let dir = '';
const synthCache = new Map<string, Int16Array>();

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

function readS16(path: string): Int16Array {
  const b = readFileSync(path);
  return new Int16Array(b.buffer, b.byteOffset, b.length >> 1).slice();
}

/** One utterance by espeak-ng, resampled by sox to `rate`, as PCM16. */
function say(text: string, voice: Voice, style: typeof CALM_STYLE, rate: number): Int16Array {
  const key = `${voice.espeakVoice}|${style.amplitude}|${style.pitch}|${style.speed}|${rate}|${text}`;
  const cached = synthCache.get(key);
  if (cached !== undefined) return cached;
  const wav = join(dir, `u${synthCache.size}.wav`);
  const raw = join(dir, `u${synthCache.size}.raw`);
  run('espeak-ng', ['-w', wav, '-s', String(style.speed), '-a', String(style.amplitude), '-p', String(style.pitch), '-v', voice.espeakVoice, text]);
  run('sox', [wav, '-r', String(rate), '-c', '1', '-e', 'signed', '-b', '16', '-t', 'raw', raw]);
  const pcm = readS16(raw);
  synthCache.set(key, pcm);
  return pcm;
}

/** Noise from sox's synth: 'whitenoise', 'brownnoise', or mains hum (60 Hz with harmonics). */
function noise(kind: 'whitenoise' | 'brownnoise' | 'hum', durationMs: number, rate: number, gain: number): Int16Array {
  const raw = join(dir, `noise-${kind}-${rate}-${durationMs}.raw`);
  const seconds = String(durationMs / 1000);
  const synth =
    kind === 'hum'
      ? ['synth', seconds, 'sine', '60', 'sine', '120', 'sine', '180', 'sine', '300', 'channels', '1']
      : ['synth', seconds, kind];
  run('sox', ['-n', '-r', String(rate), '-c', '1', '-e', 'signed', '-b', '16', '-t', 'raw', raw, ...synth, 'vol', String(gain)]);
  return readS16(raw);
}

/**
 * Music on hold from sox's synth, note by note (0.5 s each, 8 notes a bar, 4 bars: C G Am F):
 * - 'band': plucked-string chords, a sawtooth lead melody (up to G5, 784 Hz) and a sine bass;
 * - 'lead': the sawtooth melody alone, legato: a bright, high, periodic sound that never pauses.
 * Peak-normalised to `peakDb` dBFS.
 */
const CHORDS = [['C3', 'E4', 'G4', 'C5'], ['G2', 'D4', 'G4', 'B4'], ['A2', 'E4', 'A4', 'C5'], ['F2', 'C4', 'F4', 'A4']];
const MELODY = ['E5', 'D5', 'C5', 'D5', 'E5', 'E5', 'E5', 'D5', 'D5', 'D5', 'E5', 'G5', 'G5', 'E5', 'D5', 'C5'];
function music(kind: 'band' | 'lead', durationMs: number, rate: number, peakDb: number): Int16Array {
  const notes: Int16Array[] = [];
  for (let i = 0; i * 500 < durationMs; i++) {
    const chord = CHORDS[Math.floor(i / 8) % CHORDS.length]!;
    const lead = MELODY[i % MELODY.length]!;
    const raw = join(dir, `music-${kind}-${rate}-${i % 32}.raw`);
    const voices = kind === 'band' ? [...chord.flatMap((n) => ['pluck', n]), 'sawtooth', lead, 'sine', chord[0]!] : ['sawtooth', lead];
    run('sox', ['-n', '-r', String(rate), '-c', '1', '-e', 'signed', '-b', '16', '-t', 'raw', raw, 'synth', '0.5', ...voices, 'channels', '1', 'fade', '0.01', '0.5', '0.02', 'gain', '-n', String(peakDb)]);
    notes.push(readS16(raw));
  }
  return concat(...notes);
}

interface Part {
  text: string;
  style: typeof CALM_STYLE;
}

interface BuiltCall {
  pcm: Int16Array;
  /** Start of each part, ms. */
  startsMs: number[];
}

function buildCall(parts: Part[], voice: Voice, rate: number, leadMs = 500): BuiltCall {
  const chunks: Int16Array[] = [new Int16Array((leadMs * rate) / 1000)];
  const startsMs: number[] = [];
  let length = chunks[0]!.length;
  for (const part of parts) {
    startsMs.push((length * 1000) / rate);
    const speech = say(part.text, voice, part.style, rate);
    chunks.push(speech, new Int16Array((PAUSE_MS * rate) / 1000));
    length += speech.length + (PAUSE_MS * rate) / 1000;
  }
  const pcm = new Int16Array(length);
  let at = 0;
  for (const c of chunks) {
    pcm.set(c, at);
    at += c.length;
  }
  return { pcm, startsMs };
}

/** Adds `extra` into `pcm` from `atMs` (saturating). */
function mixIn(pcm: Int16Array, extra: Int16Array, atMs: number, rate: number): Int16Array {
  const out = pcm.slice();
  const offset = Math.round((atMs * rate) / 1000);
  for (let i = 0; i < extra.length && offset + i < out.length; i++) {
    out[offset + i] = Math.max(-32768, Math.min(32767, out[offset + i]! + extra[i]!));
  }
  return out;
}

/** The call as the engine would see it: through mu-law and back for the 8 kHz format. */
function overTheLine(pcm: Int16Array, format: Format): Int16Array {
  if (!format.mulaw) return pcm;
  const s16 = join(dir, 'line.raw');
  const ul = join(dir, 'line.ul');
  writeFileSync(s16, pcm);
  run('sox', ['-t', 'raw', '-r', String(format.rate), '-e', 'signed', '-b', '16', '-c', '1', s16, '-e', 'mu-law', '-t', 'raw', ul]);
  return mulawDecode(new Uint8Array(readFileSync(ul)));
}

async function detect(pcm: Int16Array, rate: number): Promise<{ alerts: DetectedAlert[]; outputs: DetectorOutput[] }> {
  const chunk = rate / 50; // 20 ms packets, as a telephony stream delivers them
  const packets: PartyPcm[] = [];
  for (let at = 0; at < pcm.length; at += chunk) {
    packets.push({ party: 'customer', samples: pcm.subarray(at, at + chunk), sampleRate: rate, startSample: at });
  }
  const detector = raisedToneDetector(defaultMeasuresOptions());
  const outputs = await lastValueFrom(
    detector({ callId: 'c1', parties: ['customer'], language: 'en', transcripts$: from([]), audio$: from(packets) }).pipe(toArray()),
  );
  const alerts = outputs.flatMap((o) => (o.kind === 'alert' ? [o.alert] : []));
  return { alerts, outputs };
}

function calmParts(count: number, offset = 0): Part[] {
  return Array.from({ length: count }, (_, i) => ({ text: CALM[(i + offset) % CALM.length]!, style: CALM_STYLE }));
}

function summaryOf(outputs: DetectorOutput[]): RaisedToneSummary {
  const s = outputs.find((o) => o.kind === 'summary' && o.section === 'raisedTone');
  if (s === undefined || s.kind !== 'summary') throw new Error('no raisedTone summary');
  return s.value as RaisedToneSummary;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raised-tone-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(FORMATS)('raised tone on espeak-ng speech, $name', (format) => {
  describe.each(VOICES)('$name voice', (voice) => {
    it('detects a raised section (louder and higher) within 1.5 s of its start', async () => {
      const parts = [...calmParts(10), ...RAISED.map((text) => ({ text, style: RAISED_STYLE })), ...calmParts(6, 10)];
      const call = buildCall(parts, voice, format.rate);
      const raisedStartMs = call.startsMs[10]!;
      expect(call.pcm.length / format.rate).toBeGreaterThan(60);
      const { alerts, outputs } = await detect(overTheLine(call.pcm, format), format.rate);
      expect(alerts.length).toBeGreaterThanOrEqual(1);
      const first = alerts[0]!;
      expect(first.kind).toBe('raised_tone');
      expect(first.party).toBe('customer');
      expect(Math.abs(first.startMs - raisedStartMs)).toBeLessThanOrEqual(1500);
      // Raised within the first seconds of the section.
      expect(first.endMs).toBeLessThanOrEqual(raisedStartMs + 5000);
      expect(['low', 'medium', 'high', 'critical']).toContain(first.severity);
      expect(first.details?.['cues']).toEqual(expect.arrayContaining(['loudness', 'pitch']));
      // Every alert is about the raised section (one episode per raised sentence, no alert on calm speech).
      const raisedEndMs = call.startsMs[10 + RAISED.length]! - PAUSE_MS;
      for (const a of alerts) {
        expect(a.startMs).toBeGreaterThanOrEqual(raisedStartMs - 200);
        expect(a.endMs).toBeLessThanOrEqual(raisedEndMs + PAUSE_MS); // before the next calm sentence
      }
      const summary = summaryOf(outputs);
      expect(summary.episodes.length).toBeGreaterThanOrEqual(RAISED.length - 1);
      expect(summary.episodes.length).toBeLessThanOrEqual(2 * RAISED.length);
      for (const episode of summary.episodes) {
        expect(episode.startMs).toBeGreaterThanOrEqual(raisedStartMs - 200);
        expect(episode.endMs).toBeLessThanOrEqual(raisedEndMs + PAUSE_MS);
        expect(episode.loudnessRiseDb).toBeGreaterThan(6);
        expect(episode.pitchRiseSemitones).toBeGreaterThan(2);
      }
      const measures = outputs.filter((o) => o.kind === 'measure');
      expect(measures).toHaveLength(summary.episodes.length);
    });

    it('does not fire on a calm call', async () => {
      const call = buildCall(calmParts(18), voice, format.rate);
      expect(call.pcm.length / format.rate).toBeGreaterThan(60);
      const { alerts, outputs } = await detect(overTheLine(call.pcm, format), format.rate);
      expect(alerts).toEqual([]);
      expect(summaryOf(outputs).parties['customer']?.baselineLearned).toBe(true);
    });

    it('does not fire on a single loud word', async () => {
      // One syllable: a five-syllable exclamation has as much voiced speech as a short shouted sentence.
      const parts = [...calmParts(9), { text: 'No!', style: RAISED_STYLE }, ...calmParts(9, 9)];
      const call = buildCall(parts, voice, format.rate);
      const { alerts } = await detect(overTheLine(call.pcm, format), format.rate);
      expect(alerts).toEqual([]);
    });

    it('does not fire on a speaker who is loud from the start because the line is hot', async () => {
      const parts = [...RAISED, ...CALM.slice(0, 12)].map((text) => ({ text, style: HOT_LINE_STYLE }));
      const call = buildCall(parts, voice, format.rate);
      expect(call.pcm.length / format.rate).toBeGreaterThan(60);
      const { alerts } = await detect(overTheLine(call.pcm, format), format.rate);
      expect(alerts).toEqual([]);
    });

    it('does not fire on line noise: white noise and mains hum throughout, a loud brown-noise burst', async () => {
      const call = buildCall(calmParts(18), voice, format.rate);
      const durationMs = (call.pcm.length * 1000) / format.rate;
      // White noise at about -45 dBFS and 60 Hz hum (with harmonics) at about -36 dBFS all along;
      // the calm speech is at about -27 dBFS.
      let pcm = mixIn(call.pcm, noise('whitenoise', durationMs, format.rate, 0.025), 0, format.rate);
      pcm = mixIn(pcm, noise('hum', durationMs, format.rate, 0.045), 0, format.rate);
      // 8 s of brown noise at about -15 dBFS (louder than the speech) over speech mid-call.
      pcm = mixIn(pcm, noise('brownnoise', 8000, format.rate, 0.3), call.startsMs[10]!, format.rate);
      const { alerts, outputs } = await detect(overTheLine(pcm, format), format.rate);
      expect(alerts).toEqual([]);
      // Not vacuous: the speech under the noise was heard and a baseline learned.
      expect(summaryOf(outputs).parties['customer']?.baselineLearned).toBe(true);
    });

    it('does not fire on a loud mains-hum burst over speech', async () => {
      const call = buildCall(calmParts(18), voice, format.rate);
      // 8 s of hum at about -10 dBFS starting mid-call.
      const pcm = mixIn(call.pcm, noise('hum', 8000, format.rate, 0.3), call.startsMs[10]!, format.rate);
      const { alerts, outputs } = await detect(overTheLine(pcm, format), format.rate);
      expect(alerts).toEqual([]);
      expect(summaryOf(outputs).parties['customer']?.baselineLearned).toBe(true);
    });

    it.each(['band', 'lead'] as const)('does not fire on music on hold (%s): from the start, and louder than the speech mid-call', async (kind) => {
      // The call opens on 30 s of hold music; then calm speech, 30 s of music 6 dB above it, calm speech again.
      const calm = buildCall(calmParts(8), voice, format.rate);
      const later = buildCall(calmParts(8, 8), voice, format.rate);
      const pcm = concat(music(kind, 30_000, format.rate, -6), calm.pcm, music(kind, 30_000, format.rate, -6), later.pcm);
      const { alerts, outputs } = await detect(overTheLine(pcm, format), format.rate);
      expect(alerts).toEqual([]);
      expect(summaryOf(outputs).episodes).toEqual([]);
      // Not vacuous: the speech was heard and a baseline learned.
      expect(summaryOf(outputs).parties['customer']?.baselineLearned).toBe(true);
    });

    it('after music on hold, a raised section is still detected (the music did not become the baseline)', async () => {
      const calm = buildCall(calmParts(8), voice, format.rate);
      const rest = buildCall([...calmParts(2, 8), ...RAISED.map((text) => ({ text, style: RAISED_STYLE }))], voice, format.rate);
      const holdMs = 30_000;
      const pcm = concat(calm.pcm, music('band', holdMs, format.rate, -6), rest.pcm);
      const offsetMs = ((calm.pcm.length + (holdMs * format.rate) / 1000) * 1000) / format.rate;
      const { alerts } = await detect(overTheLine(pcm, format), format.rate);
      expect(alerts.length).toBeGreaterThanOrEqual(1);
      expect(alerts[0]!.startMs).toBeGreaterThanOrEqual(offsetMs + rest.startsMs[2]! - 200);
    });

    it('still detects the raised section with white noise on the line', async () => {
      const parts = [...calmParts(10), ...RAISED.map((text) => ({ text, style: RAISED_STYLE })), ...calmParts(6, 10)];
      const call = buildCall(parts, voice, format.rate);
      const durationMs = (call.pcm.length * 1000) / format.rate;
      const pcm = mixIn(call.pcm, noise('whitenoise', durationMs, format.rate, 0.025), 0, format.rate);
      const { alerts } = await detect(overTheLine(pcm, format), format.rate);
      expect(alerts.length).toBeGreaterThanOrEqual(1);
      expect(Math.abs(alerts[0]!.startMs - call.startsMs[10]!)).toBeLessThanOrEqual(1500);
    });
  });
});
