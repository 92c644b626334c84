import type { RunResult } from './score.js';
import type { ToneEvalReport } from './run.js';

/** The evaluation as text tables: one row per order and format, then F1 per speaker. */
export function formatToneReport(report: ToneEvalReport): string[] {
  const lines: string[] = [];
  lines.push(`${report.dataset}: ${report.speakers} speakers, ${report.files} files; per file, alert overlap up to 1.5 s after a file ends`);
  lines.push('');
  lines.push(...runsTable(report.runs));
  lines.push('');
  lines.push('Per speaker: TP/FP/FN/TN F1');
  const speakers = report.runs[0]?.speakers.map((s) => s.speaker) ?? [];
  const speakerRows = speakers.map((speaker) => [
    speaker,
    ...report.runs.map((r) => {
      const s = r.speakers.find((x) => x.speaker === speaker);
      return s === undefined ? '-' : `${s.tp}/${s.fp}/${s.fn}/${s.tn} ${fixed(s.f1)}`;
    }),
  ]);
  lines.push(...table(['speaker', ...report.runs.map((r) => `${r.order} ${r.format}`)], speakerRows));
  return lines;
}

/** One row per order and format: counts, P/R/F1, false alerts by emotion, latency. */
export function runsTable(runs: readonly RunResult[]): string[] {
  const header = ['order', 'format', 'TP', 'FP', 'FN', 'TN', 'precision', 'recall', 'F1', 'false alerts', 'latency median', 'p90'];
  const rows = runs.map((r) => [
    r.order,
    r.format,
    String(r.overall.tp),
    String(r.overall.fp),
    String(r.overall.fn),
    String(r.overall.tn),
    fixed(r.overall.precision),
    fixed(r.overall.recall),
    fixed(r.overall.f1),
    falseAlerts(r),
    seconds(r.latency.medianMs),
    seconds(r.latency.p90Ms),
  ]);
  return table(header, rows);
}

function falseAlerts(run: RunResult): string {
  const parts = Object.entries(run.falseAlertsByEmotion).map(([emotion, n]) => `${emotion} ${n}`);
  return parts.length > 0 ? parts.join(', ') : '0';
}

function fixed(value: number): string {
  return value.toFixed(2);
}

function seconds(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
