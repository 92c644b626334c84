import { useRef, useState } from 'preact/hooks';
import type { BoardCall } from '../wire.js';
import { clock } from './format.js';
import { memo } from './memo.js';
import { useViewportMeasure } from './viewport.js';
import { SEVERITIES, type ConsoleState } from './state.js';

/**
 * Only the rows on screen, and this many above and below, are drawn (the others are blank space of
 * the same height): a busy board changes every row every second, and drawing the few that can be
 * seen keeps that cheap whatever the number of calls. Tab moves through the links as usual: focusing
 * a row scrolls it into view, which draws the rows around it.
 */
const OVERSCAN_ROWS = 25;
/** Row height until one is measured (CSS keeps rows on one line). */
const DEFAULT_ROW_PX = 30;

type SortKey = 'started' | 'duration' | 'alerts' | 'severity' | 'callId';
const SORTS: Array<{ key: SortKey; label: string }> = [
  { key: 'started', label: 'Newest' },
  { key: 'duration', label: 'Longest' },
  { key: 'alerts', label: 'Most alerts' },
  { key: 'severity', label: 'Severity' },
  { key: 'callId', label: 'Call id' },
];

/** Parsed start times (Date.parse per comparison was most of a sort). */
const startedMs = new Map<string, number>();
function started(call: BoardCall): number {
  let ms = startedMs.get(call.startedAt);
  if (ms === undefined) {
    if (startedMs.size > 10_000) startedMs.clear();
    ms = Date.parse(call.startedAt);
    startedMs.set(call.startedAt, ms);
  }
  return ms;
}

function durationMs(call: BoardCall, now: number): number {
  return call.durationMs ?? Math.max(0, now - started(call));
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
      return (a, b) => started(b) - started(a);
  }
}

/** One call's row: drawn again only when the call changed or its duration reads differently. */
const BoardRow = memo(function BoardRow({ call: c, duration, index }: { call: BoardCall; duration: string; index: number }) {
  return (
    <tr data-call-id={c.callId} aria-rowindex={index + 2}>
      <td>
        <a href={`#/call/${encodeURIComponent(c.callId)}`}>{c.callId}</a>
      </td>
      <td>{c.parties.join(', ')}</td>
      <td class="num">{duration}</td>
      <td title={c.department}>{c.driver ? `${c.driver}${c.department ? ` (${c.department})` : ''}` : '–'}</td>
      <td title={c.tags.join(', ')}>{c.tags.join(', ')}</td>
      <td>{c.raisedTone ? <span class="badge sev-high">raised</span> : 'calm'}</td>
      <td class="num">{c.alertCount > 0 ? <span class={`badge sev-${c.maxSeverity ?? 'info'}`}>{c.alertCount}</span> : '0'}</td>
      <td>{c.state}</td>
    </tr>
  );
});

/** Blank space standing for rows not drawn (set through the CSSOM, which the CSP allows). */
function Spacer({ px }: { px: number }) {
  return (
    <tr aria-hidden="true" class="spacer">
      <td colSpan={8} style={{ height: `${px}px` }} />
    </tr>
  );
}

/**
 * Live calls board: every instance's calls from Redis, filterable and sortable. Renders when the
 * calls start or end (callsListVersion) and on the clock's 1 s tick, which also brings the counts,
 * tags and drivers that changed meanwhile: a busy board changes every row every second, and one
 * render (and repaint) a second for all of it is the cheapest that still shows them within 1 s.
 */
export const Board = memo(function Board({ state, now }: { state: ConsoleState; now: number; callsListVersion: number }) {
  const [filter, setFilter] = useState('');
  const [show, setShow] = useState<'active' | 'ended' | 'all'>('active');
  const [sort, setSort] = useState<SortKey>('started');
  const body = useRef<HTMLTableSectionElement>(null);
  const [view, setView] = useState({ top: 0, height: 900, rowPx: DEFAULT_ROW_PX });
  useViewportMeasure(() => {
    const el = body.current;
    if (!el) return;
    const row = el.querySelector('tr[data-call-id]');
    const next = { top: el.getBoundingClientRect().top, height: window.innerHeight, rowPx: row?.getBoundingClientRect().height || DEFAULT_ROW_PX };
    setView((v) => (Math.abs(v.top - next.top) < 1 && v.height === next.height && v.rowPx === next.rowPx ? v : next));
  });
  const needle = filter.trim().toLowerCase();
  const all = [...state.calls.values()];
  const calls = all
    .filter((c) => show === 'all' || c.state === show)
    .filter((c) => !needle || [c.callId, c.driver ?? '', c.department ?? '', ...c.parties, ...c.tags].some((s) => s.toLowerCase().includes(needle)))
    .sort(compare(sort, now));
  const active = all.filter((c) => c.state === 'active').length;
  const first = Math.max(0, Math.min(calls.length, Math.floor(-view.top / view.rowPx) - OVERSCAN_ROWS));
  const last = Math.max(first, Math.min(calls.length, Math.ceil((view.height - view.top) / view.rowPx) + OVERSCAN_ROWS));

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
      <table class="board" aria-rowcount={calls.length + 1}>
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
        <tbody ref={body}>
          {first > 0 && <Spacer px={first * view.rowPx} />}
          {calls.slice(first, last).map((c, i) => (
            <BoardRow key={c.callId} call={c} duration={clock(durationMs(c, now))} index={first + i} />
          ))}
          {last < calls.length && <Spacer px={(calls.length - last) * view.rowPx} />}
        </tbody>
      </table>
      {calls.length === 0 && <p class="empty">No {show === 'all' ? '' : show} calls.</p>}
    </section>
  );
});
