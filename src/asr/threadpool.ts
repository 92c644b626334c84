import { availableParallelism } from 'node:os';
import type { AsrOptions } from '../config/schema.js';

/**
 * Sizing of the libuv threadpool, where libvosk decodes (ffi `.async` calls run there).
 *
 * The pool also serves fs, dns.lookup, zlib and crypto, so it gets `RESERVED_THREADS` more threads
 * than there are decode slots, and the engine never runs more libvosk calls at once than it has
 * slots: file and DNS work always finds a free thread, however far behind decoding is.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool is first used, and the ESM loader uses the
 * pool to read modules, so setting `process.env.UV_THREADPOOL_SIZE` in the first line of an ESM
 * entry point is already too late (measured: the pool stays at 4 threads). Set it in the
 * environment of the process (`UV_THREADPOOL_SIZE=... node ...`), in a CommonJS bootstrap that
 * then `import()`s the ESM entry, or by re-spawning the entry with the variable set.
 */

export const RESERVED_THREADS = 4;
/** libuv's default and maximum pool sizes. */
export const LIBUV_DEFAULT_THREADS = 4;
export const LIBUV_MAX_THREADS = 1024;

/** Decoder threads wanted: `asr.workers`, 0 meaning one per CPU core. */
export function decodeWorkers(asr: Pick<AsrOptions, 'workers'>, cores: number = availableParallelism()): number {
  return asr.workers > 0 ? asr.workers : Math.max(1, cores);
}

/** The UV_THREADPOOL_SIZE the process needs: decode workers plus the reserve for fs/dns. */
export function threadpoolSizeFor(asr: Pick<AsrOptions, 'workers'>, cores?: number): number {
  return Math.min(LIBUV_MAX_THREADS, decodeWorkers(asr, cores) + RESERVED_THREADS);
}

/** The pool size libuv uses for this environment (its rules: unset or invalid = 4, clamped 1..1024). */
export function threadpoolSizeOf(env: Record<string, string | undefined> = process.env): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  if (!Number.isFinite(n) || n <= 0) return LIBUV_DEFAULT_THREADS;
  return Math.min(LIBUV_MAX_THREADS, n);
}

/**
 * Libvosk calls allowed in flight at once: the configured workers, but never the whole pool, so at
 * least one thread stays free for fs/dns even when UV_THREADPOOL_SIZE was not raised.
 */
export function decodeSlotsFor(asr: Pick<AsrOptions, 'workers'>, poolSize: number, cores?: number): number {
  return Math.max(1, Math.min(decodeWorkers(asr, cores), poolSize - 1));
}

/** For entry points: the environment with UV_THREADPOOL_SIZE raised to what `asr` needs (never lowered). */
export function withThreadpoolSize(asr: Pick<AsrOptions, 'workers'>, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const needed = threadpoolSizeFor(asr);
  return threadpoolSizeOf(env) >= needed && env.UV_THREADPOOL_SIZE ? env : { ...env, UV_THREADPOOL_SIZE: String(needed) };
}
