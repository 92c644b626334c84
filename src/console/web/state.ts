import type { AlertEvent, TranscriptEvent } from '../../events/schema.js';
import type { AckState, AlertEntry, BoardCall, CallChange, CallDetail, LiveMessage } from '../wire.js';

export const SEVERITIES: ReadonlyArray<AlertEvent['severity']> = ['info', 'low', 'medium', 'high', 'critical'];
const RANK = new Map(SEVERITIES.map((s, i) => [s, i]));
/** Alerts kept in the page; older ones are dropped from memory (they stay in Redis). */
const MAX_ALERTS = 2000;
/**
 * Renders are coalesced: at most one per this interval, in an animation frame, so 1000 events/s cost
 * a few renders/s (and the board's rows, the feed's alerts and the transcript's lines are memoized:
 * a render redraws only what changed since the last).
 */
const RENDER_INTERVAL_MS = 200;

export type Connection = 'connecting' | 'live' | 'offline';

/**
 * Orders Redis stream ids (`<ms>-<seq>`, decimal without leading zeros) without allocating: a longer
 * number is larger, equal lengths compare digit by digit. Called for every alert the feed brings
 * (the sorted insert), so split/map was a visible part of the page's script time.
 */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const ad = dash(a);
  const bd = dash(b);
  if (ad !== bd) return ad - bd;
  for (let i = 0; i < ad; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  const as = a.length - ad;
  const bs = b.length - bd;
  if (as !== bs) return as - bs;
  for (let i = 1; i < as; i++) {
    const d = a.charCodeAt(ad + i) - b.charCodeAt(bd + i);
    if (d !== 0) return d;
  }
  return 0;
}

function dash(id: string): number {
  const i = id.indexOf('-');
  return i < 0 ? id.length : i;
}

/**
 * Everything the page shows, fed by the initial HTTP loads and the live feed. Alerts are keyed by id
 * (a catch-up that overlaps the live feed changes nothing); `lastAlertId` is the catch-up position.
 */
export class ConsoleState {
  readonly calls = new Map<string, BoardCall>();
  readonly alerts = new Map<string, AlertEntry & { event: AlertEvent }>();
  readonly withdrawn = new Set<string>();
  readonly acks = new Map<string, AckState>();
  lastAlertId = '0-0';
  connection: Connection = 'connecting';
  /** The call whose detail is open and its data (transcript grows live). */
  detail: CallDetail | undefined;
  /** The call the page shows (the live feed sends its transcript lines), before and after its detail loads. */
  watchedCallId: string | undefined;
  version = 0;
  /**
   * Bumped when what a view shows changes, so each view re-renders only for its own data: the board
   * (calls), the alert feed (alerts, acks, withdrawals) and the open call (its detail).
   */
  callsVersion = 0;
  /** Bumped when calls start, end or are (re)loaded: the board shows those at once, counts on its 1 s tick. */
  callsListVersion = 0;
  alertsVersion = 0;
  detailVersion = 0;
  /** Bumped by every spike event, so the drivers view reloads. */
  spikeVersion = 0;
  /** Lines of the watched call that arrived live before its detail loaded (merged into it then). */
  private pendingLines: TranscriptEvent[] = [];
  /** `party:utterance` of the lines in the detail (a reload and the live feed may both bring a line). */
  private lineKeys = new Set<string>();
  private listeners = new Set<() => void>();
  private scheduled = false;
  private lastRender = 0;
  /** The alerts newest first, kept sorted on insert (most arrive newest, so it is usually a prepend). */
  private ordered: Array<AlertEntry & { event: AlertEvent }> = [];

  /** @param schedule runs a render after `delayMs` (the page: in the next animation frame after it). */
  constructor(private readonly schedule: (render: () => void, delayMs: number) => void) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Schedules one render for everything changed since the last (coalesced, at most every RENDER_INTERVAL_MS). */
  changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastRender + RENDER_INTERVAL_MS - performance.now());
    this.schedule(() => {
      this.scheduled = false;
      this.lastRender = performance.now();
      for (const listener of this.listeners) listener();
    }, wait);
  }

  setConnection(connection: Connection): void {
    this.connection = connection;
    this.changed();
  }

  setCalls(calls: BoardCall[]): void {
    this.calls.clear();
    for (const call of calls) this.calls.set(call.callId, call);
    this.callsVersion++;
    this.callsListVersion++;
    this.changed();
  }

  addAlerts(entries: AlertEntry[], acks: AckState[]): void {
    for (const entry of entries) this.addAlert(entry);
    for (const ack of acks) this.acks.set(ack.alertId, ack);
    this.alertsVersion++;
    this.changed();
  }

  /** The call the page opens (undefined: none); its detail follows with setDetail. */
  watch(callId: string | undefined): void {
    if (callId === this.watchedCallId) return;
    this.watchedCallId = callId;
    this.pendingLines = [];
    this.setDetail(undefined);
  }

  /**
   * The open call's detail as loaded from Redis. Lines that arrived live meanwhile (before the load,
   * or during a reload, in the detail it replaces) and are not in it yet are kept.
   */
  setDetail(detail: CallDetail | undefined): void {
    const previous = this.detail;
    this.detail = detail;
    this.lineKeys = new Set();
    if (detail) {
      const live = [...(previous?.call.callId === detail.call.callId ? previous.transcript : []), ...this.pendingLines.filter((l) => l.callId === detail.call.callId)];
      this.pendingLines = [];
      for (const line of detail.transcript) this.lineKeys.add(lineKey(line));
      const missing = live.filter((line) => !this.lineKeys.has(lineKey(line)));
      if (missing.length > 0) {
        detail.transcript.push(...missing);
        detail.transcript.sort((a, b) => a.startMs - b.startMs);
        for (const line of missing) this.lineKeys.add(lineKey(line));
      }
      this.addAlerts(detail.alerts, detail.acks);
    }
    this.detailVersion++;
    this.changed();
  }

  /** Alerts newest first. */
  alertList(): ReadonlyArray<AlertEntry & { event: AlertEvent }> {
    return this.ordered;
  }

  apply(messages: LiveMessage[]): void {
    for (const message of messages) {
      switch (message.type) {
        case 'alert':
          this.addAlert(message.entry);
          this.alertsVersion++;
          break;
        case 'transcript':
          this.addTranscript(message.event);
          break;
        case 'call':
          this.applyCallChange(message.change);
          break;
        case 'ack':
          this.acks.set(message.ack.alertId, message.ack);
          this.alertsVersion++;
          if (this.detail?.call.callId === callIdOf(message.ack.alertId)) this.detailVersion++;
          break;
        case 'spike':
          this.spikeVersion++;
          break;
        case 'driver': {
          const { primary } = message.event;
          this.updateCall(message.event.callId, () => ({ driver: primary.id, ...(primary.department ? { department: primary.department } : {}) }));
          break;
        }
      }
    }
    this.changed();
  }

  /** Board rows are replaced, never changed in place, so a row re-renders only when its call changed. */
  private updateCall(callId: string, change: (call: BoardCall) => Partial<BoardCall>): void {
    const call = this.calls.get(callId);
    if (call) {
      this.calls.set(callId, { ...call, ...change(call) });
      this.callsVersion++;
    }
    const detail = this.detail;
    if (detail?.call.callId === callId) {
      detail.call = { ...detail.call, ...change(detail.call) };
      this.detailVersion++;
    }
  }

  private addAlert(entry: AlertEntry): void {
    if (compareStreamIds(entry.streamId, this.lastAlertId) > 0) this.lastAlertId = entry.streamId;
    const { event } = entry;
    if (event.type === 'alert_withdrawn') {
      this.withdrawn.add(event.id);
      if (this.detail?.call.callId === event.callId) this.detailVersion++;
      return;
    }
    if (this.alerts.has(event.id)) return;
    const item = { streamId: entry.streamId, event };
    this.alerts.set(event.id, item);
    // Binary search for the place (newest first); a live alert lands at index 0.
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStreamIds(this.ordered[mid]!.streamId, entry.streamId) > 0) lo = mid + 1;
      else hi = mid;
    }
    this.ordered.splice(lo, 0, item);
    if (this.ordered.length > MAX_ALERTS) {
      const oldest = this.ordered.pop();
      if (oldest) this.alerts.delete(oldest.event.id);
    }
    const call = this.calls.get(event.callId);
    if (call) {
      const tags = event.tentative ? [] : (event.tags ?? []).filter((tag) => !call.tags.includes(tag));
      this.calls.set(event.callId, {
        ...call,
        alertCount: call.alertCount + 1,
        raisedTone: call.raisedTone || event.kind === 'raised_tone',
        maxSeverity: !call.maxSeverity || (RANK.get(event.severity) ?? 0) > (RANK.get(call.maxSeverity) ?? 0) ? event.severity : call.maxSeverity,
        tags: tags.length > 0 ? [...call.tags, ...tags] : call.tags,
      });
      this.callsVersion++;
    }
    const detail = this.detail;
    if (detail && detail.call.callId === event.callId && !detail.alerts.some((a) => a.event.id === event.id)) {
      detail.alerts.push({ streamId: entry.streamId, event });
      this.detailVersion++;
    }
  }

  private addTranscript(event: TranscriptEvent): void {
    if (event.callId !== this.watchedCallId) return;
    const detail = this.detail;
    if (detail?.call.callId !== event.callId) {
      this.pendingLines.push(event);
      return;
    }
    const key = lineKey(event);
    if (this.lineKeys.has(key)) return;
    this.lineKeys.add(key);
    detail.transcript.push(event);
    this.detailVersion++;
  }

  private applyCallChange(change: CallChange): void {
    switch (change.type) {
      case 'call_started':
        if (!this.calls.has(change.callId)) {
          this.calls.set(change.callId, {
            callId: change.callId,
            state: 'active',
            protocol: change.protocol,
            parties: change.parties,
            startedAt: change.startedAt,
            alertCount: 0,
            tags: [],
            raisedTone: false,
          });
          this.callsVersion++;
          this.callsListVersion++;
        }
        break;
      case 'call_ended':
        this.updateCall(change.callId, () => ({ state: 'ended', endedAt: change.endedAt, durationMs: change.durationMs }));
        this.callsListVersion++;
        break;
      case 'call_tags':
        this.updateCall(change.callId, (call) => ({ tags: [...call.tags, ...change.tags.filter((tag) => !call.tags.includes(tag))] }));
        break;
    }
  }
}

function lineKey(line: TranscriptEvent): string {
  return `${line.party}:${line.utterance}`;
}

/** Alert ids are `<callId>/<key>`. */
function callIdOf(alertId: string): string {
  const slash = alertId.indexOf('/');
  return slash < 0 ? alertId : alertId.slice(0, slash);
}
