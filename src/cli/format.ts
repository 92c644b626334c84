import type { AlertEvent, AlertWithdrawnEvent, CallSummary, DriverEvent, TranscriptEvent, WarningEvent } from '../events/schema.js';

/**
 * One readable line per event, for people watching a terminal (`voc replay`, `voc alerts`).
 * Offsets are call time (from the audio), shown as [h:]mm:ss.mmm.
 */

export function formatOffset(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const milli = total % 1000;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(milli).padStart(3, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

const span = (startMs: number, endMs: number) => `${formatOffset(startMs)}-${formatOffset(endMs)}`;

type AlertLike = Pick<AlertEvent, 'callId' | 'severity' | 'category' | 'kind' | 'startMs' | 'endMs'> &
  Partial<Pick<AlertEvent, 'party' | 'phrase' | 'tentative' | 'raisedAt'>>;

export function formatAlert(a: AlertLike, opts: { time?: boolean } = {}): string {
  const parts = [
    ...(opts.time && a.raisedAt ? [a.raisedAt] : []),
    a.severity.toUpperCase().padEnd(8),
    a.category,
    `call=${a.callId}`,
    ...(a.party ? [`party=${a.party}`] : []),
    ...(a.phrase ? [JSON.stringify(a.phrase)] : []),
    span(a.startMs, a.endMs),
    `(${a.kind}${a.tentative ? ', tentative' : ''})`,
  ];
  return parts.join('  ');
}

export function formatWithdrawn(w: Pick<AlertWithdrawnEvent, 'callId' | 'category' | 'kind' | 'id' | 'raisedAt'>, opts: { time?: boolean } = {}): string {
  return [...(opts.time ? [w.raisedAt] : []), 'WITHDRAWN', w.category, `call=${w.callId}`, `id=${w.id}`, `(${w.kind}: not confirmed by the final transcript)`].join('  ');
}

export function formatWarning(w: Pick<WarningEvent, 'callId' | 'code' | 'message'>): string {
  return ['WARNING'.padEnd(8), `call=${w.callId}`, `${w.code}: ${w.message}`].join('  ');
}

export function formatDriver(d: Pick<DriverEvent, 'callId' | 'primary' | 'secondary'>): string {
  const { primary } = d;
  return [
    'DRIVER'.padEnd(8),
    `call=${d.callId}`,
    `${primary.id} ${JSON.stringify(primary.name)}`,
    ...(primary.department ? [`department=${primary.department}`] : []),
    ...(d.secondary.length > 0 ? [`also=${d.secondary.map((s) => s.id).join(',')}`] : []),
  ].join('  ');
}

export function formatTranscript(t: Pick<TranscriptEvent, 'callId' | 'party' | 'text' | 'startMs' | 'endMs' | 'final'>): string {
  return [`${t.final ? 'SAID' : '...'}`.padEnd(8), `call=${t.callId}`, `${t.party}:`, JSON.stringify(t.text), span(t.startMs, t.endMs)].join('  ');
}

export function formatSummary(s: Pick<CallSummary, 'callId' | 'durationMs' | 'alertCount' | 'tags' | 'endReason' | 'cutShort'>, file?: string): string {
  return [
    'SUMMARY'.padEnd(8),
    `call=${s.callId}`,
    `duration=${formatOffset(s.durationMs)}`,
    `alerts=${s.alertCount}`,
    `tags=${s.tags.length > 0 ? s.tags.join(',') : '-'}`,
    `end=${s.endReason}${s.cutShort ? ' (cut short)' : ''}`,
    ...(file ? [`file=${file}`] : []),
  ].join('  ');
}
