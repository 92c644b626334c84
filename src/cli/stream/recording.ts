import { randomBytes } from 'node:crypto';
import { WavFile, WavFormatError } from '../../audio/wav.js';
import { callIdFromFileName, conventionalParties, describeFsError } from '../recordings.js';
import { CliError, EXIT } from '../errors.js';

/** What `voc stream` sends: an open recording, the parties of its channels, the call's id. */

/** Opens the WAV; an unreadable or unsupported file is a CliError naming the file and the reason. */
export async function openRecording(path: string): Promise<WavFile> {
  let wav: WavFile;
  try {
    wav = await WavFile.open(path);
  } catch (err) {
    if (err instanceof WavFormatError) throw new CliError(EXIT.failure, `${path}: ${err.message}`);
    throw new CliError(EXIT.failure, `${path}: ${describeFsError(err)}`);
  }
  if (wav.info.dataBytes === 0) {
    await wav.close();
    throw new CliError(EXIT.failure, `${path}: the recording holds no audio`);
  }
  return wav;
}

/**
 * Party of each channel: --parties, else mono `customer`, stereo `customer,agent` (the order
 * `voc sample` writes). More channels must be named.
 */
export function partiesFor(channels: number, given: string[] | undefined, path: string): string[] {
  if (given) {
    if (given.length !== channels)
      throw new CliError(EXIT.failure, `${path} has ${channels} channel(s) but --parties names ${given.length} (${given.join(',')}): name one party per channel`);
    return given;
  }
  const parties = conventionalParties(channels);
  if (parties) return parties;
  throw new CliError(EXIT.failure, `${path} has ${channels} channels: name the party of each with --parties`);
}

/** `<file name>-<6 hex>`: readable in `voc alerts`, and a second run of the same file is a new call. */
export function defaultCallId(path: string): string {
  return callIdFromFileName(path, 100, `-${randomBytes(3).toString('hex')}`);
}
