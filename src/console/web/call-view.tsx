import type uPlot from 'uplot';
import type { AlertEvent, CallSummary, Evidence, TranscriptEvent } from '../../events/schema.js';
import { useMemo, useState } from 'preact/hooks';
import type { AlertEntry, CallDetail } from '../wire.js';
import { AlertRow } from './alerts-view.js';
import { Chart } from './chart.js';
import { clock, percent, timeOfDay } from './format.js';
import { memo } from './memo.js';
import { SEVERITIES, type ConsoleState } from './state.js';

/** Summary sections as docs/analytics.md describes them (only the fields shown here). */
interface TalkSection {
  silence?: { count: number; totalMs: number; longestMs: number };
  overtalk?: { count: number; totalMs: number };
  parties?: Record<string, { talkMs: number; talkRatio: number | null; wordsPerMinute: number | null }>;
}
interface EmotionSection {
  stages?: Array<{ name: string; startMs: number; endMs: number; score: number | null; parties?: Record<string, number | null> }>;
}
interface RaisedToneSection {
  episodes?: Array<{ party: string; startMs: number; endMs: number; severity: string }>;
}
interface ScorecardSection {
  name: string;
  score: number | null;
  passScore: number;
  passed: boolean | null;
  checks: Array<{ name: string; description?: string; weight: number; outcome: string; reason: string; evidence: Evidence[] }>;
}

function section<T>(summary: CallSummary | undefined, name: string): T | undefined {
  const value = summary?.analytics[name];
  return typeof value === 'object' && value !== null ? (value as T) : undefined;
}

/** Lines drawn per party at first (the latest); "Show earlier lines" draws them all. Bounds the DOM of long calls. */
const RECENT_LINES = 300;

/** Each line's marks, for the alerts it was last computed with (a render for a new line reuses the others'). */
const marksCache = new WeakMap<TranscriptEvent, { alerts: AlertEvent[]; marks: string }>();

/** Indexes of the line's words that an alert matched, comma-separated ('' for none). */
function matchedWords(line: TranscriptEvent, alerts: AlertEvent[]): string {
  if (line.words.length === 0) return '';
  const cached = marksCache.get(line);
  if (cached?.alerts === alerts) return cached.marks;
  const marks = computeMarks(line, alerts);
  marksCache.set(line, { alerts, marks });
  return marks;
}

function computeMarks(line: TranscriptEvent, alerts: AlertEvent[]): string {
  const hits = alerts.filter((a) => a.phrase && (a.party === undefined || a.party === line.party) && a.startMs < line.endMs + 50 && a.endMs > line.startMs - 50);
  if (hits.length === 0) return '';
  const marked: number[] = [];
  line.words.forEach((w, i) => {
    if (hits.some((a) => w.startMs >= a.startMs - 50 && w.endMs <= a.endMs + 50)) marked.push(i);
  });
  return marked.join(',');
}

/** A transcript line with the words that an alert matched marked; drawn again only when its marks change. */
const Line = memo(function Line({ line, marks }: { line: TranscriptEvent; marks: string }) {
  const marked = new Set(marks ? marks.split(',').map(Number) : []);
  const words = line.words.length > 0 ? line.words : line.text.split(/\s+/).map((word) => ({ word, startMs: line.startMs, endMs: line.startMs }));
  return (
    <li class="line" data-party={line.party} data-line={`${line.party}:${line.utterance}`}>
      <span class="muted time">{clock(line.startMs)}</span>{' '}
      {words.map((w, i) => {
        const text = `${i > 0 ? ' ' : ''}`;
        return marked.has(i) ? (
          <>
            {text}
            <mark>{w.word}</mark>
          </>
        ) : (
          `${text}${w.word}`
        );
      })}
    </li>
  );
});

function PartyLines({ party, lines, alerts }: { party: string; lines: TranscriptEvent[]; alerts: AlertEvent[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? lines : lines.slice(-RECENT_LINES);
  return (
    <section aria-label={`${party} transcript`} class="party">
      <h3>{party}</h3>
      {shown.length < lines.length && (
        <button type="button" onClick={() => setAll(true)}>
          Show {lines.length - shown.length} earlier lines
        </button>
      )}
      <ol>
        {shown.map((t) => (
          <Line key={`${t.party}-${t.utterance}`} line={t} marks={matchedWords(t, alerts)} />
        ))}
      </ol>
    </section>
  );
}

function Transcript({ detail, alerts }: { detail: CallDetail; alerts: AlertEvent[] }) {
  const parties = detail.call.parties.length > 0 ? detail.call.parties : [...new Set(detail.transcript.map((t) => t.party))];
  return (
    <div class="transcript">
      {parties.map((party) => (
        <PartyLines key={party} party={party} lines={detail.transcript.filter((t) => t.party === party)} alerts={alerts} />
      ))}
    </div>
  );
}

/** Alerts on the call's timeline (severity on y), and raised-tone episodes with the emotion curve. */
function Charts({ alerts, summary, parties }: { alerts: AlertEvent[]; summary: CallSummary | undefined; parties: string[] }) {
  const xs = alerts.map((a) => a.startMs / 1000);
  const alertData: uPlot.AlignedData = [xs, alerts.map((a) => SEVERITIES.indexOf(a.severity))];

  const episodes = section<RaisedToneSection>(summary, 'raisedTone')?.episodes ?? alerts.filter((a) => a.kind === 'raised_tone').map((a) => ({ party: a.party ?? '', startMs: a.startMs, endMs: a.endMs, severity: a.severity }));
  const stages = section<EmotionSection>(summary, 'emotionCurve')?.stages ?? [];
  const points = new Set<number>();
  for (const s of stages) points.add((s.startMs + s.endMs) / 2000);
  for (const e of episodes) {
    points.add(e.startMs / 1000);
    points.add(e.endMs / 1000);
  }
  const x = [...points].sort((a, b) => a - b);
  const stageAt = (t: number) => stages.find((s) => (s.startMs + s.endMs) / 2000 === t);
  const emotionData: uPlot.AlignedData = [
    x,
    x.map((t) => stageAt(t)?.score ?? null),
    ...parties.map((party) => x.map((t) => (episodes.some((e) => e.party === party && t >= e.startMs / 1000 && t <= e.endMs / 1000) ? 5.5 : null))),
  ];
  const palette = ['#ff7b72', '#d2a8ff'];
  return (
    <div class="charts">
      <Chart
        title="Alerts on the call timeline"
        data={alertData}
        series={[{ label: 'alert severity', stroke: '#ffa657', width: 0, points: { show: true, size: 9, fill: '#ffa657' }, paths: () => null }]}
        yRange={[-0.5, 4.5]}
        yValues={(v) => SEVERITIES[Math.round(v)] ?? ''}
      />
      <Chart
        title={stages.length > 0 ? 'Emotion curve (1–5) and raised-tone episodes' : 'Raised-tone episodes (emotion curve at call end)'}
        data={emotionData}
        series={[
          { label: 'emotion', stroke: '#79c0ff', width: 2, spanGaps: true },
          ...parties.map((party, i) => ({ label: `raised tone: ${party}`, stroke: palette[i % palette.length], width: 6, spanGaps: false })),
        ]}
        yRange={[0.5, 6]}
      />
    </div>
  );
}

function Talk({ summary, alerts }: { summary: CallSummary | undefined; alerts: AlertEvent[] }) {
  const talk = section<TalkSection>(summary, 'talk');
  if (!talk) {
    const silences = alerts.filter((a) => a.kind === 'silence').length;
    const overtalks = alerts.filter((a) => a.kind === 'overtalk').length;
    return (
      <p>
        Live: {silences} silence alert(s), {overtalks} overtalk alert(s). Talk ratio, silence and overtalk totals come with the call's summary.
      </p>
    );
  }
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Party</th>
          <th scope="col">Talk time</th>
          <th scope="col">Talk ratio</th>
          <th scope="col">Words/min</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(talk.parties ?? {}).map(([party, p]) => (
          <tr>
            <td>{party}</td>
            <td class="num">{clock(p.talkMs)}</td>
            <td class="num">{percent(p.talkRatio)}</td>
            <td class="num">{p.wordsPerMinute === null ? '–' : Math.round(p.wordsPerMinute)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <td colSpan={4}>
            Silence: {talk.silence?.count ?? 0} span(s), {clock(talk.silence?.totalMs ?? 0)} total, longest {clock(talk.silence?.longestMs ?? 0)}. Overtalk:{' '}
            {talk.overtalk?.count ?? 0} span(s), {clock(talk.overtalk?.totalMs ?? 0)} total.
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

function Scorecard({ summary }: { summary: CallSummary | undefined }) {
  const card = section<ScorecardSection>(summary, 'scorecard');
  if (!card) return <p>{summary ? 'No scorecard configured.' : 'The scorecard is scored at the call’s end.'}</p>;
  return (
    <>
      <p>
        {card.name}: score {card.score ?? '–'} (pass {card.passScore}) — {card.passed === null ? 'not applicable' : card.passed ? 'passed' : 'failed'}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Weight</th>
            <th scope="col">Outcome</th>
            <th scope="col">Evidence</th>
          </tr>
        </thead>
        <tbody>
          {card.checks.map((c) => (
            <tr>
              <td>{c.description ?? c.name}</td>
              <td class="num">{c.weight}</td>
              <td>
                {c.outcome} <span class="muted">({c.reason})</span>
              </td>
              <td>{c.evidence.map((e) => `${e.party ? `${e.party}: ` : ''}“${e.text}” at ${clock(e.startMs)}`).join('; ') || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * One call: live transcript with matches marked, alerts, charts, talk measures, scorecard, summary.
 * Renders when the open call's data changes (detailVersion), not for other calls' updates.
 */
export const CallView = memo(function CallView({ state, me }: { state: ConsoleState; me: string; detailVersion: number }) {
  const detail = state.detail;
  // The same arrays until an alert comes or goes (the detail's list only grows): the lines' marks are cached against them.
  const alertsKey = `${detail?.alerts.length ?? 0}:${state.withdrawn.size}`;
  const entries = useMemo(
    () =>
      (detail?.alerts ?? [])
        .filter((a): a is AlertEntry & { event: AlertEvent } => a.event.type === 'alert' && !state.withdrawn.has(a.event.id))
        .sort((a, b) => a.event.startMs - b.event.startMs),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [detail, alertsKey, state],
  );
  const alerts = useMemo(() => entries.map((a) => a.event), [entries]);
  if (!detail) return <p>Loading call…</p>;
  const { call, summary } = detail;
  return (
    <article aria-labelledby="call-title">
      <h2 id="call-title">
        Call {call.callId} <span class="count">{call.state}</span>
      </h2>
      <p class="muted">
        {call.parties.join(' and ')} · {call.protocol} · started {timeOfDay(call.startedAt)}
        {call.endedAt ? ` · ended ${timeOfDay(call.endedAt)} (${clock(call.durationMs ?? 0)})` : ''}
        {call.driver ? ` · driver ${call.driver}` : ''} {call.tags.length > 0 ? ` · tags ${call.tags.join(', ')}` : ''}
      </p>
      <h3>Transcript</h3>
      <Transcript detail={detail} alerts={alerts} />
      <h3>Alerts</h3>
      <ul class="alerts">
        {entries.map((a) => (
          <AlertRow key={a.event.id} entry={a} ack={state.acks.get(a.event.id)} withdrawn={false} me={me} />
        ))}
      </ul>
      {alerts.length === 0 && <p class="empty">No alerts.</p>}
      <Charts alerts={alerts} summary={summary} parties={call.parties} />
      <h3>Talk ratio, silence and overtalk</h3>
      <Talk summary={summary} alerts={alerts} />
      <h3>Scorecard</h3>
      <Scorecard summary={summary} />
      {summary && (
        <>
          <h3>Stored summary</h3>
          <p>
            Ended by {summary.endReason}
            {summary.cutShort ? ' (cut short)' : ''}, {summary.alertCount} alert(s), tags {summary.tags.join(', ') || '–'}.
          </p>
          <details>
            <summary>Summary JSON</summary>
            <pre>{JSON.stringify(summary, null, 2)}</pre>
          </details>
        </>
      )}
    </article>
  );
});
