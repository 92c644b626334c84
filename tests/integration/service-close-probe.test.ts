import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventLoopDelay } from '../../src/metrics/event-loop-delay.js';
import { startTestService } from '../helpers/service.js';

/** Probes recorded over ten probe intervals (the first one after take() only restarts the clock). */
async function samplesOver(probe: EventLoopDelay): Promise<number> {
  probe.take();
  await sleep(10 * probe.sampleMs);
  return probe.take().samples;
}

describe('service close', () => {
  it('stops the event-loop delay probe the service started (no wake-ups left behind)', async () => {
    const svc = await startTestService('close-probe');
    const probe = svc.service.metrics.eventLoopDelay!;
    expect(await samplesOver(probe)).toBeGreaterThan(0);
    await svc.close();
    expect(await samplesOver(probe)).toBe(0);
  });
});
