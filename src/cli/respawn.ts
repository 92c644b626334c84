import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { AsrOptions } from '../config/schema.js';
import { withThreadpoolSize } from '../asr/threadpool.js';

/** Set in the child so it never re-spawns again. */
const MARK = 'VOC_THREADPOOL_RESPAWNED';
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * libvosk decodes on the libuv threadpool, whose size (UV_THREADPOOL_SIZE) is fixed when the pool is
 * first used, and an ESM entry point has already used it to load its own modules. So a command that
 * decodes runs itself again in a child process with the variable set, unless the environment
 * already has it large enough (set it yourself to skip this: see docs/operations.md).
 *
 * The child gets its own process group, so a terminal's Ctrl-C reaches it once (forwarded by this
 * parent) rather than twice (which would mean "exit now"). If this parent dies without forwarding
 * (SIGKILL), the child sees its IPC channel close and shuts down gracefully by itself.
 *
 * Returns undefined when no re-spawn is needed (run in this process), else the child's exit code.
 */
export async function respawnForThreadpool(asr: Pick<AsrOptions, 'workers'>): Promise<number | undefined> {
  if (process.env[MARK]) return undefined;
  const env = withThreadpoolSize(asr, process.env);
  if (env === process.env) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...env, [MARK]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** In a re-spawned child: called once when the parent is gone (its IPC channel closed). */
export function onParentGone(handler: () => void): void {
  if (!process.env[MARK] || !process.channel) return;
  process.channel.unref(); // the channel alone must not keep the process alive
  process.once('disconnect', handler);
}
