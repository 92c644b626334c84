import { useState } from 'preact/hooks';
import type { BoardCall } from '../wire.js';
import { clock } from './format.js';
import { SEVERITIES, type ConsoleState } from './state.js';

type SortKey = 'started' | 'duration' | 'alerts' | 'severity' | 'callId';
const SORTS: Array<{ key: SortKey; label: string }> = [
  { key: 'started', label: 'Newest' },
  { key: 'duration', label: 'Longest' },
  { key: 'alerts', label: 'Most alerts' },
  { key: 'severity', label: 'Severity' },
  { key: 'callId', label: 'Call id' },
];

function durationMs(call: BoardCall, now: number): number {
  return call.durationMs ?? Math.max(0, now - Date.parse(call.startedAt));
}

function compare(key: SortKey, now: number): (a: BoardCall, b: BoardCall) => number {
  switch (key) {
    case 'duration':
      return (a, b) => durationMs(b, now) - durationMs(a, now);
    case 'alerts':
      return (a, b) => b.alertCount - a.alertCount;
    case 'severity':
      return (a, b) => SEVERITIES.indexOf(b.maxSeverity ?? 'info') - SEVERITIES.indexOf(a.maxSeverity ?? 'info') || b.alertCount - a.alertCount;
    case 'callId':
      return (a, b) => a.callId.localeCompare(b.callId);
    case 'started':
      return (a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt);
  }
}

/** Live calls board: every instance's calls from Redis, filterable and sortable. */
export function Board({ state, now }: { state: ConsoleState; now: number }) {
  const [filter, setFilter] = useState('');
  const [show, setShow] = useState<'active' | 'ended' | 'all'>('active');
  const [sort, setSort] = useState<SortKey>('started');
  const needle = filter.trim().toLowerCase();
  const calls = [...state.calls.values()]
    .filter((c) => show === 'all' || c.state === show)
    .filter((c) => !needle || [c.callId, c.driver ?? '', c.department ?? '', ...c.parties, ...c.tags].some((s) => s.toLowerCase().includes(needle)))
    .sort(compare(sort, now));
  const active = [...state.calls.values()].filter((c) => c.state === 'active').length;

  return (
    <section aria-labelledby="board-title">
      <h2 id="board-title">
        Live calls <span class="count">{active} active</span>
      </h2>
      <div class="toolbar">
        <label>
          Filter <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="call, party, tag, driver" />
        </label>
        <label>
          Show{' '}
          <select value={show} onChange={(e) => setShow(e.currentTarget.value as typeof show)}>
            <option value="active">active</option>
            <option value="ended">ended</option>
            <option value="all">all</option>
          </select>
        </label>
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => setSort(e.currentTarget.value as SortKey)}>
            {SORTS.map((s) => (
              <option value={s.key}>{s.label}</option>
            ))}
          </select>
        </label>
      </div>
      <table class="board">
        <thead>
          <tr>
            <th scope="col">Call</th>
            <th scope="col">Parties</th>
            <th scope="col">Duration</th>
            <th scope="col">Driver</th>
            <th scope="col">Tags</th>
            <th scope="col">Tone</th>
            <th scope="col">Alerts</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <tr key={c.callId} data-call-id={c.callId}>
              <td>
                <a href={`#/call/${encodeURIComponent(c.callId)}`}>{c.callId}</a>
              </td>
              <td>{c.parties.join(', ')}</td>
              <td class="num">{clock(durationMs(c, now))}</td>
              <td>{c.driver ? `${c.driver}${c.department ? ` (${c.department})` : ''}` : '–'}</td>
              <td>{c.tags.join(', ')}</td>
              <td>{c.raisedTone ? <span class="badge sev-high">raised</span> : 'calm'}</td>
              <td class="num">
                {c.alertCount > 0 ? <span class={`badge sev-${c.maxSeverity ?? 'info'}`}>{c.alertCount}</span> : '0'}
              </td>
              <td>{c.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {calls.length === 0 && <p class="empty">No {show === 'all' ? '' : show} calls.</p>}
    </section>
  );
}
