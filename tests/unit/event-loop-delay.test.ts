import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopDelay, delayWindow } from '../../src/metrics/event-loop-delay.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';

/** Holds the event loop for `ms` of wall time. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A gauge's value in Prometheus text exposition. */
function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not exported`);
  return Number(line.split(' ')[1]);
}

describe('EventLoopDelay', () => {
  const probes: EventLoopDelay[] = [];
  afterEach(() => probes.splice(0).forEach((p) => p.stop()));

  it('reads each probe interval as the delay beyond it', () => {
    // A real node histogram, recorded as monitorEventLoopDelay records: whole intervals, ns.
    const h = createHistogram();
    for (const ms of [200, 201, 203, 260]) h.record(ms * 1e6);
    const window = delayWindow(h, 200);
    expect(window.samples).toBe(4);
    expect(window.min).toBeCloseTo(0, 1);
    expect(window.max).toBeCloseTo(60, 0);
    expect(window.p50).toBeGreaterThanOrEqual(1);
    expect(window.p50).toBeLessThanOrEqual(3.1);
    expect(window.p50).toBeLessThanOrEqual(window.p99);
    expect(delayWindow(createHistogram(), 200)).toMatchObject({ samples: 0, max: 0, p99: 0 });
  });

  it('catches a blocked loop: the probe due during a 120 ms block fires at least 100 ms late', async () => {
    const probe = new EventLoopDelay(10);
    probes.push(probe);
    probe.take();
    await sleep(50); // the first probe after take() only restarts its clock
    block(120);
    await sleep(30);
    const window = probe.take();
    expect(window.max).toBeGreaterThanOrEqual(100);
    expect(window.max).toBeGreaterThanOrEqual(window.p50);
    // take() starts a new window: the block is not read twice.
    await sleep(50);
    expect(probe.take().max).toBeLessThan(window.max);
  });

  it('refuses an interval that is not a positive integer', () => {
    expect(() => new EventLoopDelay(0)).toThrow(RangeError);
    expect(() => new EventLoopDelay(2.5)).toThrow(RangeError);
  });
});

describe('EngineMetrics event-loop delay', () => {
  it("exports the probe's delay under prom-client's names, one window per scrape", async () => {
    const metrics = new EngineMetrics({ eventLoopSampleMs: 10 });
    try {
      await metrics.registry.metrics(); // closes the window opened at construction
      await sleep(40);
      block(120);
      await sleep(30);
      const blocked = await metrics.registry.metrics();
      expect(gauge(blocked, 'voc_nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.1);
      expect(gauge(blocked, 'voc_nodejs_eventloop_lag_p99_seconds')).toBeLessThanOrEqual(gauge(blocked, 'voc_nodejs_eventloop_lag_max_seconds'));
      // Each statistic is exported once (prom-client's raw ones are replaced, not duplicated).
      expect(blocked.match(/^# TYPE voc_nodejs_eventloop_lag_p99_seconds /gm)).toHaveLength(1);
      await sleep(50);
      const next = await metrics.registry.metrics();
      expect(gauge(next, 'voc_nodejs_eventloop_lag_max_seconds')).toBeLessThan(gauge(blocked, 'voc_nodejs_eventloop_lag_max_seconds'));
    } finally {
      metrics.eventLoopDelay?.stop();
    }
  });
});
