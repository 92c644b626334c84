import { SHIPPED_RULE, type CrossValidationReport, type Objective, type Verdict } from './cross-validate.js';
import { runsTable, table } from './report.js';

/** The cross-validation as text: held-out table and verdict, the folds' choices, then the in-sample figures. */
export function formatCrossValidation(report: CrossValidationReport): string[] {
  const lines: string[] = [];
  const axes = report.grid.map((a) => `${a.option} ${a.values.join('|')}`).join(', ');
  lines.push(`${report.dataset}: ${report.speakers} speakers, ${report.files} files; ${report.selections[0]?.folds.length ?? 0}-fold cross-validation over speakers`);
  lines.push(`grid of ${report.gridSize} settings: ${axes}`);
  lines.push('');
  for (const sel of report.selections) {
    const shipped = sel.rule === SHIPPED_RULE ? ' (the rule the shipped defaults come from)' : '';
    lines.push(`Choice rule '${sel.rule}'${shipped} — held out (each fold searched on the other speakers, scored on its own; pooled):`);
    lines.push(...runsTable(sel.heldOut));
    lines.push(...verdictLines(sel.heldOutVerdict));
    lines.push(
      ...table(
        ['fold', 'held out', 'chosen', 'training: false alerts (most of the neighbours), worst F1 margin, mean F1'],
        sel.folds.map((f) => [String(f.fold), f.heldOut.join(' '), setting(f.chosen), objective(f.training)]),
      ),
    );
    lines.push(`On all speakers the rule chooses ${setting(sel.allSpeakersChoice.chosen)} (in-sample; its held-out estimate is the table above):`);
    lines.push(...runsTable(sel.allSpeakersChoice.runs));
    lines.push('');
  }
  lines.push(`Configured options, all speakers (in-sample if they were tuned on this set):`);
  lines.push(...runsTable(report.configured));
  return lines;
}

function verdictLines(v: Verdict): string[] {
  const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  return [
    `targets held out: calm-first F1 >= 0.90 ${mark(v.calmFirstF1)}; angry-first F1 >= 0.80 ${mark(v.angryFirstF1)}; ` +
      `0 false alerts on calm files ${mark(v.noFalseAlerts)}; median latency <= 1.5 s ${mark(v.medianLatency)}`,
  ];
}

function setting(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function objective(o: Objective): string {
  return `${o.falseAlerts} (${o.neighbourFalseAlerts}), ${o.worstMargin >= 0 ? '+' : ''}${o.worstMargin.toFixed(3)}, ${o.meanF1.toFixed(3)}${o.latencyOk ? '' : ' (latency over target)'}`;
}
