import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(join(REPO, 'docs', 'grafana-dashboard.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ definition?: string }> };
};

/** Metric names a PromQL expression reads (the engine's are all voc_*); histogram series map to their metric. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bvoc_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

/** Label names a `by (...)` groups by. */
function groupLabels(expr: string): string[] {
  return [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
}

describe('docs/grafana-dashboard.json against a running engine', () => {
  const live = useLiveService('grafana');

  /** Label names the engine's registry declares for a metric (a labelled metric prints no sample until used). */
  function declaredLabels(name: string): string[] {
    const metric = live.svc.service.metrics.registry.getSingleMetric(name) as { labelNames?: string[] } | undefined;
    return metric?.labelNames ?? [];
  }

  it('every query names a metric the engine exports, grouped by labels it has', async () => {
    const text = await fetchMetrics(live.svc.httpUrl);
    // Every registered metric has a TYPE line, even a labelled one with no samples yet.
    const exported = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.map((v) => v.definition ?? '')];
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names.length, `a voc_ metric in ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${name} (in ${expr}) is not exported`).toBe(true);
      // `le` comes from histograms; the rest must be label names the engine declares for the metric.
      for (const label of groupLabels(expr).filter((l) => l !== 'le'))
        expect(
          names.some((name) => declaredLabels(name).includes(label)),
          `label ${label} of ${names.join(', ')} in ${expr}`,
        ).toBe(true);
    }
  });

  it('covers calls, drops, loop delay, alerts by kind and the ASR backlog', () => {
    const all = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of ['voc_active_calls', 'voc_calls_total', 'voc_asr_dropped_audio_seconds_total', 'voc_nodejs_eventloop_lag_p99_seconds', 'voc_asr_queue_depth_seconds'])
      expect(all).toContain(metric);
    expect(all).toMatch(/sum by \(kind\) \(rate\(voc_alerts_total/);
  });
});
