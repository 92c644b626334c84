import { useEffect, useRef, useState } from 'preact/hooks';
import type { AlertEvent } from '../../events/schema.js';
import type { AckState, AlertEntry } from '../wire.js';
import { api } from './api.js';
import { clock, timeOfDay } from './format.js';
import { memo } from './memo.js';
import { useViewportMeasure } from './viewport.js';
import { compareStreamIds, SEVERITIES, type ConsoleState } from './state.js';

/** Most rows drawn (scrolled to the bottom); the rest stay in memory (and in Redis). */
const MAX_ROWS = 100;
/**
 * Rows drawn beyond the bottom of the window. Only the rows that reach the screen are drawn (more as
 * the page scrolls): a busy feed replaces its top rows several times a second, and each drawn row
 * costs the same whether it is seen or not.
 */
const BELOW_FOLD_ROWS = 5;
/** Row height until one is measured. */
const DEFAULT_ROW_PX = 80;

/** One alert: drawn again only when it, its ack, its withdrawal or the supervisor's name changed. */
export const AlertRow = memo(function AlertRow({ entry, ack, withdrawn, me }: { entry: AlertEntry & { event: AlertEvent }; ack: AckState | undefined; withdrawn: boolean; me: string }) {
  const { event } = entry;
  const [assignee, setAssignee] = useState(ack?.assignee ?? '');
  const [error, setError] = useState('');
  const send = (action: 'ack' | 'assign') => {
    setError('');
    api.ack({ alertId: event.id, action, by: me, ...(action === 'assign' ? { assignee } : {}) }).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  const inputId = `assign-${event.id}`;
  // The assignee field is drawn on demand: a busy feed inserts many rows per second, and a text
  // field per row was most of their cost.
  const [assigning, setAssigning] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (assigning) field.current?.focus();
  }, [assigning]);
  return (
    <li class={`alert sev-border-${event.severity}${withdrawn ? ' withdrawn' : ''}${ack?.ackedBy ? ' acked' : ''}`} data-alert-id={event.id}>
      <div class="alert-head">
        <span class={`badge sev-${event.severity}`}>{event.severity}</span> <strong>{event.category}</strong> <span class="muted">{event.kind}</span>{' '}
        <a href={`#/call/${encodeURIComponent(event.callId)}`}>{event.callId}</a> <span class="muted">at {clock(event.startMs)}</span>{' '}
        <span class="muted">{timeOfDay(event.raisedAt)}</span>
        {event.tentative && !withdrawn && <span class="muted"> (tentative)</span>}
        {withdrawn && <span class="muted"> (withdrawn)</span>}
      </div>
      {event.phrase && (
        <div>
          {event.party ?? ''}: “{event.phrase}”
        </div>
      )}
      <div class="ack-row">
        {ack?.ackedBy ? (
          <span class="ack-state">
            Acknowledged by {ack.ackedBy} {timeOfDay(ack.ackedAt)}
          </span>
        ) : (
          <button type="button" onClick={() => send('ack')} disabled={!me}>
            Acknowledge
          </button>
        )}
        {assigning ? (
          <form
            class="assign-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (me) send('assign');
            }}
          >
            <label for={inputId} class="sr-only">
              Assign alert to
            </label>
            <input id={inputId} ref={field} class="assign" value={assignee} onInput={(e) => setAssignee(e.currentTarget.value)} placeholder="assign to" maxLength={100} />
            <button type="submit" disabled={!me}>
              Assign
            </button>
          </form>
        ) : (
          <button type="button" class="assign-open" onClick={() => setAssigning(true)}>
            Assign to…
          </button>
        )}
        {ack?.assignee && <span class="assignee">Assigned to {ack.assignee}</span>}
        {error && <span class="error" role="alert">{error}</span>}
      </div>
    </li>
  );
});

/**
 * Live alert feed of all calls, newest first, with severity filters, acknowledge and assign.
 * Renders when alerts or acks change (alertsVersion), not for board or transcript updates.
 */
export const AlertsView = memo(function AlertsView({ state, me }: { state: ConsoleState; me: string; alertsVersion: number }) {
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [openOnly, setOpenOnly] = useState(false);
  // Paused by the supervisor (WCAG 2.2.2: updating content can be paused), or while focus is in the
  // list, so the row being worked on does not slide away under new alerts.
  const [paused, setPaused] = useState(false);
  const [focusInside, setFocusInside] = useState(false);
  const frozen = useRef<ReadonlyArray<AlertEntry & { event: AlertEvent }> | null>(null);
  const all = state.alertList();
  const holding = paused || focusInside;
  if (!holding) frozen.current = null;
  else if (!frozen.current) frozen.current = all.slice(0, MAX_ROWS * 4);
  const source = frozen.current ?? all;
  const top = frozen.current?.[0]?.streamId;
  let newer = 0;
  if (top) while (newer < all.length && compareStreamIds(all[newer]!.streamId, top) > 0) newer++;
  const shown = source.filter((a) => !hidden.has(a.event.severity) && !(openOnly && state.acks.get(a.event.id)?.ackedBy));
  const list = useRef<HTMLUListElement>(null);
  const [rows, setRows] = useState(MAX_ROWS / 4);
  useViewportMeasure(() => {
    const el = list.current;
    if (!el) return;
    const first = el.firstElementChild;
    const rowPx = (first?.getBoundingClientRect().height ?? 0) + 6 || DEFAULT_ROW_PX;
    const next = Math.min(MAX_ROWS, Math.max(1, Math.ceil((window.innerHeight - el.getBoundingClientRect().top) / rowPx)) + BELOW_FOLD_ROWS);
    setRows((r) => (r === next ? r : next));
  });
  const toggle = (severity: string) => {
    const next = new Set(hidden);
    if (next.has(severity)) next.delete(severity);
    else next.add(severity);
    setHidden(next);
  };
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">
        Alert feed <span class="count">{all.length}</span>
      </h2>
      <fieldset class="toolbar">
        <legend>Severities</legend>
        {SEVERITIES.map((s) => (
          <label>
            <input type="checkbox" checked={!hidden.has(s)} onChange={() => toggle(s)} /> {s}
          </label>
        ))}
        <label>
          <input type="checkbox" checked={openOnly} onChange={() => setOpenOnly(!openOnly)} /> unacknowledged only
        </label>
      </fieldset>
      <div class="toolbar">
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          Pause live updates
        </button>
        <span role="status" class="muted">
          {holding ? `Paused${paused ? '' : ' while you work in the list'}: ${newer} newer alert(s) not shown` : ''}
        </span>
      </div>
      {!me && <p class="hint">Enter your name at the top to acknowledge and assign.</p>}
      <ul
        ref={list}
        class="alerts"
        onFocusIn={() => setFocusInside(true)}
        onFocusOut={(e) => {
          if (!(e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget))) setFocusInside(false);
        }}
      >
        {shown.slice(0, rows).map((a) => (
          <AlertRow key={a.event.id} entry={a} ack={state.acks.get(a.event.id)} withdrawn={state.withdrawn.has(a.event.id)} me={me} />
        ))}
      </ul>
      {shown.length === 0 && <p class="empty">No alerts.</p>}
    </section>
  );
});
