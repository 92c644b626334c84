import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallSummary } from '../events/schema.js';

export interface SpoolLimits {
  /** Most summaries kept waiting; beyond it new ones are not spooled (the caller counts and logs). */
  maxFiles: number;
  /** Most bytes kept waiting, all files together. */
  maxBytes: number;
}

/** A summary Redis has not confirmed, with the record and key prefix it belongs to. */
export interface SpooledSummary {
  prefix: string;
  record: string;
  summary: CallSummary;
}

export type SaveResult = 'saved' | 'full';

/**
 * Summaries that could not be written to Redis (a write that failed or timed out, or still pending
 * at shutdown), one JSON file each, so a later start can write them. Bounded in files and bytes.
 * Files are named by prefix, callId and record, so a second save of one call replaces the first.
 */
export class SummarySpool {
  constructor(
    readonly dir: string,
    private readonly limits: SpoolLimits,
  ) {}

  /** Keeps one summary on disk; 'full' when the limits leave no room. Throws on file-system errors. */
  async save(entry: SpooledSummary): Promise<SaveResult> {
    const json = JSON.stringify(entry);
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, fileName(entry));
    const usage = await this.usage(file);
    if (usage.files >= this.limits.maxFiles || usage.bytes + Buffer.byteLength(json) > this.limits.maxBytes) return 'full';
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, json);
    await rename(temp, file); // a reader never sees half a file
    return 'saved';
  }

  /**
   * Every complete entry of `prefix` waiting; files that do not parse are reported, not thrown.
   * Entries of other prefixes (another deployment sharing the directory) are left to their engines.
   */
  async list(prefix: string): Promise<{ entries: Array<{ file: string; entry: SpooledSummary }>; unreadable: string[] }> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const entries: Array<{ file: string; entry: SpooledSummary }> = [];
    const unreadable: string[] = [];
    // Another prefix's files are not even read (the name starts with the prefix; the content decides).
    const mine = `${filePrefix(prefix)}~`;
    for (const name of names.filter((n) => n.endsWith('.json') && n.startsWith(mine)).sort()) {
      const file = join(this.dir, name);
      try {
        const entry = JSON.parse(await readFile(file, 'utf8')) as Partial<SpooledSummary>;
        if (typeof entry.prefix !== 'string' || typeof entry.record !== 'string' || typeof entry.summary?.callId !== 'string') throw new Error('not a spooled summary');
        if (entry.prefix === prefix) entries.push({ file, entry: entry as SpooledSummary });
      } catch {
        unreadable.push(file);
      }
    }
    return { entries, unreadable };
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** Files and bytes in the spool, not counting `replacing` (a save of the same record replaces it). */
  private async usage(replacing: string): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const name of await readdir(this.dir)) {
      const file = join(this.dir, name);
      if (!name.endsWith('.json') || file === replacing) continue;
      files++;
      bytes += (await stat(file).catch(() => ({ size: 0 }))).size;
    }
    return { files, bytes };
  }
}

/** `<prefix>~<callId>~<record>.json`: prefixes and callIds are limited to file-safe characters (config, CALL_ID_PATTERN); ':' is avoided for other file systems. */
function fileName(entry: SpooledSummary): string {
  return `${filePrefix(entry.prefix)}~${entry.summary.callId.replace(/:/g, '_')}~${entry.record}.json`;
}

function filePrefix(prefix: string): string {
  return prefix.replace(/:/g, '_');
}
