import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { WavFile, WavFormatError, type WavInfo } from '../../audio/wav.js';
import { callIdFromFileName, conventionalParties, describeFsError } from '../recordings.js';

/** One recording to replay, checked: its format is one the engine takes. */
export interface ReplayInput {
  path: string;
  callId: string;
  info: WavInfo;
  parties: string[];
}

export interface InputRules {
  allowedSampleRates: readonly number[];
  maxParties: number;
  /** --parties, or undefined for the defaults (mono: customer; stereo: customer, agent). */
  parties: string[] | undefined;
}

/** Default party names: the engine's convention for mono and stereo (recorders that put the agent first need --parties), `partyN` beyond. */
export function defaultParties(channels: number): string[] {
  return conventionalParties(channels) ?? Array.from({ length: channels }, (_, i) => `party${i + 1}`);
}

/**
 * Resolves a file or a directory (its *.wav files, sorted) into checked inputs. Every problem of every
 * file is collected, so one run reports them all; the caller refuses to start when there is any.
 */
export async function resolveInputs(target: string, rules: InputRules): Promise<{ inputs: ReplayInput[]; problems: string[] }> {
  const problems: string[] = [];
  let files: string[];
  try {
    const info = await stat(target);
    if (info.isDirectory()) {
      files = (await readdir(target)).filter((f) => extname(f).toLowerCase() === '.wav').sort().map((f) => join(target, f));
      if (files.length === 0) return { inputs: [], problems: [`${target}: no .wav files in this directory`] };
    } else files = [target];
  } catch (err) {
    return { inputs: [], problems: [`${target}: ${describeFsError(err)}`] };
  }

  const inputs: ReplayInput[] = [];
  const usedIds = new Set<string>();
  for (const path of files) {
    const problem = await checkFile(path, rules);
    if (typeof problem === 'string') {
      problems.push(`${path}: ${problem}`);
      continue;
    }
    inputs.push({ path, callId: uniqueCallId(path, usedIds), info: problem.info, parties: problem.parties });
  }
  return { inputs, problems };
}

async function checkFile(path: string, rules: InputRules): Promise<string | { info: WavInfo; parties: string[] }> {
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
  return { info, parties };
}

/** The file name as a callId, unique in this run. */
function uniqueCallId(path: string, used: Set<string>): string {
  const base = callIdFromFileName(path, 120);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}
