import { useEffect, useState } from 'preact/hooks';
import type { DriversView as DriversData } from '../wire.js';
import { api } from './api.js';
import { Chart } from './chart.js';
import { percent, timeOfDay } from './format.js';
import { memo } from './memo.js';

const PERIODS = [
  { ms: 3_600_000, label: 'last hour' },
  { ms: 24 * 3_600_000, label: 'last 24 hours' },
  { ms: 7 * 24 * 3_600_000, label: 'last 7 days' },
];
const RELOAD_MS = 15_000;
const PALETTE = ['#79c0ff', '#ffa657', '#d2a8ff', '#7ee787', '#ff7b72', '#f2cc60', '#a5d6ff', '#ffbedd'];

function trend(rate: number, previous: number): string {
  if (previous === 0) return rate > 0 ? 'new' : '–';
  const change = (rate - previous) / previous;
  if (Math.abs(change) < 0.1) return 'steady';
  return `${change > 0 ? '▲ up' : '▼ down'} ${Math.round(Math.abs(change) * 100)} %`;
}

/**
 * Drivers per department with their trend, and the spikes, from the cross-call layer (docs/voc.md).
 * Renders for its own data and spike events only, not for every live update.
 */
export const DriversView = memo(function DriversView({ spikeVersion }: { spikeVersion: number }) {
  const [periodMs, setPeriodMs] = useState(PERIODS[0]!.ms);
  const [data, setData] = useState<DriversData | undefined>();
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), RELOAD_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    api.drivers(periodMs).then(
      (d) => {
        setData(d);
        setError('');
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [periodMs, tick, spikeVersion]);

  const departments = Object.keys(data?.trend.departments ?? {}).sort();
  return (
    <section aria-labelledby="drivers-title">
      <h2 id="drivers-title">
        Drivers and spikes <span class="count">{data ? `${data.report.volume} calls` : ''}</span>
      </h2>
      <div class="toolbar">
        <label>
          Period{' '}
          <select value={periodMs} onChange={(e) => setPeriodMs(Number(e.currentTarget.value))}>
            {PERIODS.map((p) => (
              <option value={p.ms}>{p.label}</option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <>
          <h3>Spikes</h3>
          {data.spikes.length === 0 ? (
            <p class="empty">No spikes.</p>
          ) : (
            <table class="spikes">
              <thead>
                <tr>
                  <th scope="col">Raised</th>
                  <th scope="col">Series</th>
                  <th scope="col">Department</th>
                  <th scope="col">Observed / expected</th>
                  <th scope="col">Status</th>
                  <th scope="col">Example calls</th>
                </tr>
              </thead>
              <tbody>
                {data.spikes.map((s) => (
                  <tr key={s.spike.id} class={s.active ? 'spike-active' : ''} data-spike-id={s.spike.id}>
                    <td>{timeOfDay(s.spike.raisedAt)}</td>
                    <td>
                      {s.spike.series.kind}: <strong>{s.spike.series.name ?? s.spike.series.id}</strong>
                    </td>
                    <td>{s.spike.series.department ?? '–'}</td>
                    <td class="num">
                      {s.spike.observed} / {s.spike.expected.toFixed(1)}
                    </td>
                    <td>
                      {s.active ? <span class="badge sev-high">ongoing</span> : 'ended'} {s.status}
                    </td>
                    <td>
                      {s.spike.exampleCallIds.map((id, i) => (
                        <>
                          {i > 0 ? ', ' : ''}
                          <a href={`#/call/${encodeURIComponent(id)}`}>{id}</a>
                        </>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Chart
            title="Calls per department"
            xTime
            data={[data.trend.sliceStartsMs.map((t) => t / 1000), ...departments.map((d) => data.trend.departments[d] ?? [])]}
            series={departments.map((d, i) => ({ label: d, stroke: PALETTE[i % PALETTE.length], width: 2 }))}
          />
          {data.report.departments.map((dep) => (
            <section aria-label={`${dep.name} drivers`} class="department">
              <h3>
                {dep.name} <span class="count">{dep.calls} calls</span>
              </h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Driver</th>
                    <th scope="col">Calls</th>
                    <th scope="col">Share</th>
                    <th scope="col">Previous period</th>
                    <th scope="col">Trend</th>
                  </tr>
                </thead>
                <tbody>
                  {dep.drivers.map((d) => (
                    <tr data-driver-id={d.id}>
                      <td>{d.name}</td>
                      <td class="num">{d.calls}</td>
                      <td class="num">{percent(d.rate)}</td>
                      <td class="num">{percent(d.previousRate)}</td>
                      <td>{trend(d.rate, d.previousRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          <p class="muted">
            Unclassified: {data.report.unclassified.calls} calls ({percent(data.report.unclassified.rate)}).
          </p>
        </>
      )}
    </section>
  );
});
