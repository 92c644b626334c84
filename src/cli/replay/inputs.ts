import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { WavFile, WavFormatError, type WavInfo } from '../../audio/wav.js';
import { callIdFromFileName, conventionalParties, describeFsError } from '../recordings.js';
import { isTranscriptFile, readTranscriptFile, TranscriptFileError, type TranscriptFile } from '../transcript-file.js';

interface InputBase {
  path: string;
  callId: string;
  parties: string[];
  durationMs: number;
}
/** A recording, checked: its format is one the engine takes. */
export interface AudioReplayInput extends InputBase {
  kind: 'audio';
  info: WavInfo;
}
/** A transcript file (docs/text-input.md), parsed: replayed as a text call. */
export interface TranscriptReplayInput extends InputBase {
  kind: 'transcript';
  transcript: TranscriptFile;
}
export type ReplayInput = AudioReplayInput | TranscriptReplayInput;

export interface InputRules {
  allowedSampleRates: readonly number[];
  maxParties: number;
  /** --parties, or undefined for the defaults (mono: customer; stereo: customer, agent). */
  parties: string[] | undefined;
  /** File names in a directory that are not calls (e.g. the labels of `voc eval rules`). */
  ignore?: readonly string[];
}

/** Default party names: the engine's convention for mono and stereo (recorders that put the agent first need --parties), `partyN` beyond. */
export function defaultParties(channels: number): string[] {
  return conventionalParties(channels) ?? Array.from({ length: channels }, (_, i) => `party${i + 1}`);
}

/**
 * Resolves a file or a directory (its *.wav and transcript files, sorted) into checked inputs. Every problem of every
 * file is collected, so one run reports them all; the caller refuses to start when there is any.
 */
export async function resolveInputs(target: string, rules: InputRules): Promise<{ inputs: ReplayInput[]; problems: string[] }> {
  const problems: string[] = [];
  let files: string[];
  try {
    const info = await stat(target);
    if (info.isDirectory()) {
      files = (await readdir(target))
        .filter((f) => (extname(f).toLowerCase() === '.wav' || isTranscriptFile(f)) && !(rules.ignore ?? []).includes(f))
        .sort()
        .map((f) => join(target, f));
      if (files.length === 0) return { inputs: [], problems: [`${target}: no .wav or transcript (.jsonl, .ndjson, .csv, .tsv) files in this directory`] };
    } else files = [target];
  } catch (err) {
    return { inputs: [], problems: [`${target}: ${describeFsError(err)}`] };
  }

  const inputs: ReplayInput[] = [];
  const usedIds = new Set<string>();
  for (const path of files) {
    const checked = isTranscriptFile(path) ? await checkTranscript(path, rules) : await checkFile(path, rules);
    if (typeof checked === 'string') {
      problems.push(`${path}: ${checked}`);
      continue;
    }
    inputs.push({ ...checked, path, callId: uniqueCallId(path, usedIds) });
  }
  return { inputs, problems };
}

async function checkTranscript(path: string, rules: InputRules): Promise<string | Omit<TranscriptReplayInput, 'path' | 'callId'>> {
  let transcript: TranscriptFile;
  try {
    transcript = await readTranscriptFile(path);
  } catch (err) {
    return err instanceof TranscriptFileError ? err.message : describeFsError(err);
  }
  const parties = rules.parties ?? transcript.parties;
  const unknown = transcript.parties.filter((p) => !parties.includes(p));
  if (unknown.length > 0) return `parties ${unknown.join(', ')} are not in --parties (${parties.join(',')})`;
  if (parties.length > rules.maxParties) return `${parties.length} parties (${parties.join(', ')}), but at most ${rules.maxParties} are allowed (limits.maxParties)`;
  return { kind: 'transcript', transcript, parties, durationMs: transcript.durationMs };
}

async function checkFile(path: string, rules: InputRules): Promise<string | Omit<AudioReplayInput, 'path' | 'callId'>> {
  let info: WavInfo;
  try {
    const wav = await WavFile.open(path);
    info = wav.info;
    await wav.close();
  } catch (err) {
    return err instanceof WavFormatError ? err.message : describeFsError(err);
  }
  if (!rules.allowedSampleRates.includes(info.sampleRate))
    return `sample rate ${info.sampleRate} Hz is not supported (allowed: ${rules.allowedSampleRates.join(', ')} Hz): convert it, e.g. \`sox in.wav -r ${rules.allowedSampleRates.at(-1) ?? 16000} out.wav\``;
  if (info.channels > rules.maxParties) return `${info.channels} channels, but at most ${rules.maxParties} parties are allowed (limits.maxParties)`;
  const parties = rules.parties ?? defaultParties(info.channels);
  if (parties.length !== info.channels)
    return `${info.channels} channel(s) but --parties names ${parties.length} (${parties.join(',')}): name one party per channel`;
  if (info.dataBytes === 0) return 'the recording holds no audio';
  return { kind: 'audio', info, parties, durationMs: info.durationMs };
}

/** The file name as a callId, unique in this run. */
function uniqueCallId(path: string, used: Set<string>): string {
  const base = callIdFromFileName(path, 120);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}
