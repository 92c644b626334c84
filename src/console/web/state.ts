import type { AlertEvent, TranscriptEvent } from '../../events/schema.js';
import type { AckState, AlertEntry, BoardCall, CallChange, CallDetail, LiveMessage } from '../wire.js';

export const SEVERITIES: ReadonlyArray<AlertEvent['severity']> = ['info', 'low', 'medium', 'high', 'critical'];
const RANK = new Map(SEVERITIES.map((s, i) => [s, i]));
/** Alerts kept in the page; older ones are dropped from memory (they stay in Redis). */
const MAX_ALERTS = 2000;
/** Renders are coalesced: at most one per this interval, so 1000 events/s cost a few renders/s. */
const RENDER_INTERVAL_MS = 100;

export type Connection = 'connecting' | 'live' | 'offline';

/** Orders Redis stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
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
  version = 0;
  /** Bumped by every spike event, so the drivers view reloads. */
  spikeVersion = 0;
  private listeners = new Set<() => void>();
  private scheduled = false;
  private lastRender = 0;
  /** The alerts newest first, kept sorted on insert (most arrive newest, so it is usually a prepend). */
  private ordered: Array<AlertEntry & { event: AlertEvent }> = [];

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
    setTimeout(() => {
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.lastRender = performance.now();
        for (const listener of this.listeners) listener();
      });
    }, wait);
  }

  setConnection(connection: Connection): void {
    this.connection = connection;
    this.changed();
  }

  setCalls(calls: BoardCall[]): void {
    this.calls.clear();
    for (const call of calls) this.calls.set(call.callId, call);
    this.changed();
  }

  addAlerts(entries: AlertEntry[], acks: AckState[]): void {
    for (const entry of entries) this.addAlert(entry);
    for (const ack of acks) this.acks.set(ack.alertId, ack);
    this.changed();
  }

  setDetail(detail: CallDetail | undefined): void {
    this.detail = detail;
    if (detail) this.addAlerts(detail.alerts, detail.acks);
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
          break;
        case 'transcript':
          this.addTranscript(message.event);
          break;
        case 'call':
          this.applyCallChange(message.change);
          break;
        case 'ack':
          this.acks.set(message.ack.alertId, message.ack);
          break;
        case 'spike':
          this.spikeVersion++;
          break;
        case 'driver': {
          const { primary } = message.event;
          for (const call of [this.calls.get(message.event.callId), this.detail?.call.callId === message.event.callId ? this.detail.call : undefined]) {
            if (!call) continue;
            call.driver = primary.id;
            if (primary.department) call.department = primary.department;
          }
          break;
        }
      }
    }
    this.changed();
  }

  private addAlert(entry: AlertEntry): void {
    if (compareStreamIds(entry.streamId, this.lastAlertId) > 0) this.lastAlertId = entry.streamId;
    const { event } = entry;
    if (event.type === 'alert_withdrawn') {
      this.withdrawn.add(event.id);
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
      call.alertCount++;
      if (event.kind === 'raised_tone') call.raisedTone = true;
      if (!call.maxSeverity || (RANK.get(event.severity) ?? 0) > (RANK.get(call.maxSeverity) ?? 0)) call.maxSeverity = event.severity;
      for (const tag of event.tentative ? [] : (event.tags ?? [])) if (!call.tags.includes(tag)) call.tags.push(tag);
    }
    const detail = this.detail;
    if (detail && detail.call.callId === event.callId && !detail.alerts.some((a) => a.event.id === event.id)) {
      detail.alerts.push({ streamId: entry.streamId, event });
    }
  }

  private addTranscript(event: TranscriptEvent): void {
    const detail = this.detail;
    if (detail && detail.call.callId === event.callId) detail.transcript.push(event);
  }

  private applyCallChange(change: CallChange): void {
    const call = this.calls.get(change.callId);
    switch (change.type) {
      case 'call_started':
        if (!call) {
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
        }
        break;
      case 'call_ended':
        if (call) Object.assign(call, { state: 'ended', endedAt: change.endedAt, durationMs: change.durationMs });
        if (this.detail?.call.callId === change.callId) Object.assign(this.detail.call, { state: 'ended', endedAt: change.endedAt, durationMs: change.durationMs });
        break;
      case 'call_tags':
        if (call) for (const tag of change.tags) if (!call.tags.includes(tag)) call.tags.push(tag);
        break;
    }
  }
}
