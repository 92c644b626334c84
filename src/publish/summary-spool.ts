import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallSummary } from '../events/schema.js';

export interface SpoolLimits {
  /** Most summaries kept waiting; beyond it new ones are not spooled (the caller counts and logs). */
  maxFiles: number;
  /** Most bytes kept waiting, all files together. */
  maxBytes: number;
}

/** A summary Redis has not confirmed, with the record it belongs to. */
export interface SpooledSummary {
  record: string;
  summary: CallSummary;
}

/**
 * Summaries that could not be written to Redis (a write that failed or timed out, or still pending
 * at shutdown), one JSON file each, so the next start can write them. Bounded in files and bytes.
 */
export class SummarySpool {
  constructor(
    readonly dir: string,
    private readonly limits: SpoolLimits,
  ) {}

  /** Keeps one summary on disk; false when the spool is full. Throws on file-system errors. */
  async save(entry: SpooledSummary): Promise<boolean> {
    const json = JSON.stringify(entry);
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${entry.summary.callId}~${entry.record}.json`);
    const usage = await this.usage(file);
    if (usage.files >= this.limits.maxFiles || usage.bytes + Buffer.byteLength(json) > this.limits.maxBytes) return false;
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, json);
    await rename(temp, file); // a reader never sees half a file
    return true;
  }

  /** Every complete entry waiting, oldest file name first; unreadable files are reported, not thrown. */
  async list(): Promise<{ entries: Array<{ file: string; entry: SpooledSummary }>; unreadable: string[] }> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const entries: Array<{ file: string; entry: SpooledSummary }> = [];
    const unreadable: string[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(this.dir, name);
      try {
        const entry = JSON.parse(await readFile(file, 'utf8')) as SpooledSummary;
        if (typeof entry.record !== 'string' || typeof entry.summary?.callId !== 'string') throw new Error('not a spooled summary');
        entries.push({ file, entry });
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
