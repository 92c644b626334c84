import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { WavFile, WavFormatError, type WavInfo } from '../../audio/wav.js';
import { CALL_ID_PATTERN } from '../../publish/keys.js';

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

/**
 * Default party names by channel count. Stereo is customer then agent, the engine's one convention
 * (AudioHook external/internal, fork, `voc sample`); recorders that put the agent first need --parties.
 */
export function defaultParties(channels: number): string[] {
  if (channels === 1) return ['customer'];
  if (channels === 2) return ['customer', 'agent'];
  return Array.from({ length: channels }, (_, i) => `party${i + 1}`);
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
    return { inputs: [], problems: [`${target}: ${readableFsError(err)}`] };
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
    return err instanceof WavFormatError ? err.message : readableFsError(err);
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

/** The file name as a callId (keys and hash tags accept a safe alphabet only), unique in this run. */
function uniqueCallId(path: string, used: Set<string>): string {
  const base = basename(path, extname(path)).replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, 120) || 'call';
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  if (!CALL_ID_PATTERN.test(id)) throw new Error(`internal: derived callId ${id} is not valid`);
  return id;
}

function readableFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}
