import { basename, extname } from 'node:path';
import { CALL_ID_PATTERN } from '../publish/keys.js';

/** What `voc replay` and `voc stream` share about recordings on disk. */

/**
 * Parties of a mono or stereo recording by the engine's one convention: mono `customer`, stereo
 * `customer, agent` (AudioHook external/internal, fork, `voc sample`). Undefined for more channels.
 */
export function conventionalParties(channels: number): string[] | undefined {
  if (channels === 1) return ['customer'];
  if (channels === 2) return ['customer', 'agent'];
  return undefined;
}

/** The file name made a valid callId (keys and hash tags accept a safe alphabet only), plus `suffix`. */
export function callIdFromFileName(path: string, maxBaseLength: number, suffix = ''): string {
  const base = basename(path, extname(path)).replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, maxBaseLength) || 'call';
  const id = `${base}${suffix}`;
  if (!CALL_ID_PATTERN.test(id)) throw new Error(`internal: derived callId ${id} is not valid`);
  return id;
}

/** A file-system error as a short reason for a person. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}
