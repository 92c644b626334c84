import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useLiveService } from '../helpers/live-service.js';

// asr.workerNice: each decoder thread lowers its own priority (Linux keeps a nice value per thread),
// and only its own, so the event loop's thread keeps the CPU when the cores are saturated.

/** Nice value of every thread of this process (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

describe.runIf(process.platform === 'linux')('decoder thread priority', () => {
  const live = useLiveService('asr-worker-priority', { asr: { workers: 2, workerNice: 7, capacityProbeMs: 0 } });

  it('lowers the decoder threads only, not the event loop', async () => {
    expect(live.svc.service.asr.pool.size).toBe(2);
    // Each thread sets it first thing when its module runs, which can be just after it is online.
    await expect.poll(() => [...threadNiceValues().values()].filter((n) => n === 7).length, { timeout: 10_000 }).toBe(2);
    expect(threadNiceValues().get(process.pid)).toBe(0); // the main thread, which runs the event loop
  });
});
