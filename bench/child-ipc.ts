import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

/** A reply of bench/service-child.ts. */
export type ChildReply = { ok: string; [key: string]: unknown };

/** Starts the engine child (bench/service-child.ts) with node flags `execArgv`; `ask` talks to it. */
export function forkEngine(execArgv: string[] = []): { child: ChildProcess; ask: ReturnType<typeof ipc> } {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'service-child.js'), { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { child, ask: ipc(child) };
}

/** Asks the engine child to exit and waits until it has. */
export async function exitEngine(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ cmd: 'exit' });
  await exited;
}

/** Sends a command to the engine child (or none) and waits for its reply of the expected kind. */
export function ipc(child: ChildProcess) {
  const replies: ChildReply[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: ChildReply) => {
    replies.push(m);
    wake?.();
  });
  return async (command: object | undefined, expect: string): Promise<ChildReply> => {
    if (command) child.send(command);
    for (;;) {
      const i = replies.findIndex((r) => r.ok === expect || r.ok === 'error');
      if (i >= 0) {
        const [reply] = replies.splice(i, 1);
        if (reply!.ok === 'error') throw new Error(`engine: ${String(reply!.message)}`);
        return reply!;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

/** Deletes a benchmark's keys (SCAN, never FLUSH). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
