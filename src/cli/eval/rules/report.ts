import type { Evidence } from '../../../events/schema.js';
import { formatOffset } from '../../format.js';
import type { RulesEvalReport } from './run.js';
import type { Finding, ItemScore } from './score.js';

/** `voc eval rules` as text: a table per kind, then every false positive with its evidence and every miss. */
export function formatRulesReport(report: RulesEvalReport, minF1: number | undefined): string[] {
  const lines: string[] = [];
  lines.push(`${report.dir}: ${report.calls} calls, labels ${report.labels}; rules ${report.rulesFiles.join(', ') || '(none)'}`);
  if (report.unlabelledCalls.length > 0) lines.push(`not labelled (played, not scored): ${report.unlabelledCalls.join(', ')}`);
  const sections: Array<[string, ItemScore[], string[]]> = [
    ['category', report.categories, report.notLabelled.categories],
    ['driver', report.drivers, report.notLabelled.drivers],
    ['check (positive = failed)', report.checks, report.notLabelled.checks],
  ];
  for (const [title, items, notLabelled] of sections) {
    if (items.length === 0 && notLabelled.length === 0) continue;
    lines.push('');
    const rows = items.map((s) => [s.name, String(s.tp), String(s.fp), String(s.fn), String(s.tn), fixed(s.precision), fixed(s.recall), fixed(s.f1), belowMark(s, minF1)]);
    lines.push(...table([title, 'TP', 'FP', 'FN', 'TN', 'precision', 'recall', 'F1', ''], rows));
    if (notLabelled.length > 0) lines.push(`no labels for: ${notLabelled.join(', ')}`);
  }
  const all = [...report.categories, ...report.drivers, ...report.checks];
  const fps = all.flatMap((s) => s.falsePositives.map((f) => ({ s, f })));
  const misses = all.flatMap((s) => s.misses.map((f) => ({ s, f })));
  lines.push('');
  lines.push(`False positives (${fps.length})`);
  for (const { s, f } of fps) lines.push(`  ${s.kind} ${s.name}  call=${f.call}${describeFinding(f)}`);
  lines.push('');
  lines.push(`Misses (${misses.length})`);
  for (const { s, f } of misses) lines.push(`  ${s.kind} ${s.name}  call=${f.call}${describeFinding(f)}`);
  return lines;
}

function describeFinding(f: Finding): string {
  const parts: string[] = [];
  if (f.reason !== undefined) parts.push(f.reason);
  if (f.relevance !== undefined) parts.push(`relevance=${f.relevance.toFixed(2)}`);
  const head = parts.length > 0 ? `  ${parts.join('  ')}` : '';
  return head + f.evidence.map((e) => `\n      ${evidenceText(e)}`).join('');
}

/** `customer: "close my account"  00:04.500-00:08.000` */
export function evidenceText(e: Evidence): string {
  return `${e.party ? `${e.party}: ` : ''}"${e.text}"  ${formatOffset(e.startMs)}-${formatOffset(e.endMs)}`;
}

function belowMark(s: ItemScore, minF1: number | undefined): string {
  return minF1 !== undefined && s.f1 !== null && s.f1 < minF1 ? `< --min-f1 ${minF1}` : '';
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w, i) => (header[i] ? '-'.repeat(w) : ''))), ...rows.map(line)];
}

/** Items whose F1 is below `minF1` (items without an F1 — nothing to find, nothing found — never are). */
export function belowMinF1(report: RulesEvalReport, minF1: number): ItemScore[] {
  return [...report.categories, ...report.drivers, ...report.checks].filter((s) => s.f1 !== null && s.f1 < minF1);
}
