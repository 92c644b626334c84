import type { CallSummary, Evidence } from '../../../events/schema.js';
import type { CheckOutcomeKind } from '../../../analytics/scorecard.js';
import type { CallLabels } from './labels.js';

/**
 * Scoring of `voc eval rules`: each labelled (call, name) pair is one decision.
 * - categories and drivers: positive = the call has it (summary `categories.matched`, `drivers`);
 * - checks: positive = the check FAILED (what QA looks for); not_applicable counts as not failed.
 * A name a call's labels do not mention is not judged for that call.
 * precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN); null when the denominator is 0.
 */

export type ItemKind = 'category' | 'driver' | 'check';

/** A wrong decision on one call, with what the engine saw. */
export interface Finding {
  call: string;
  /** The words and times that matched (for a miss: what made a check pass, if anything). */
  evidence: Evidence[];
  relevance?: number;
  /** Checks: the scorecard's reason; drivers: which drivers the call got instead. */
  reason?: string;
}

export interface ItemScore {
  kind: ItemKind;
  name: string;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  falsePositives: Finding[];
  misses: Finding[];
}

/** What the engine concluded about one call, read from its summary. */
export interface CallOutcome {
  categories: Map<string, { evidence: Evidence[]; relevance: number }>;
  /** Recognized drivers (primary and secondary; `unclassified` when none), with their evidence. */
  drivers: Map<string, Evidence[]>;
  checks: Map<string, { outcome: CheckOutcomeKind; reason: string; evidence: Evidence[] }>;
}

interface CategoriesSection {
  matched?: Array<{ name: string; relevance: number; evidence: Evidence[] }>;
}
interface DriversSection {
  primary?: { id: string };
  secondary?: Array<{ id: string }>;
  evidence?: Record<string, Evidence[]>;
}
interface ScorecardSection {
  checks?: Array<{ name: string; outcome: CheckOutcomeKind; reason: string; evidence: Evidence[] }>;
}

export function outcomeOf(summary: Pick<CallSummary, 'analytics'>): CallOutcome {
  const categories = (summary.analytics['categories'] ?? {}) as CategoriesSection;
  const drivers = (summary.analytics['drivers'] ?? {}) as DriversSection;
  const scorecard = (summary.analytics['scorecard'] ?? {}) as ScorecardSection;
  const driverIds = [drivers.primary?.id, ...(drivers.secondary ?? []).map((d) => d.id)].filter((id): id is string => id !== undefined);
  return {
    categories: new Map((categories.matched ?? []).map((m) => [m.name, { evidence: m.evidence, relevance: m.relevance }])),
    drivers: new Map(driverIds.map((id) => [id, drivers.evidence?.[id] ?? []])),
    checks: new Map((scorecard.checks ?? []).map((c) => [c.name, { outcome: c.outcome, reason: c.reason, evidence: c.evidence }])),
  };
}

interface Decision {
  call: string;
  expected: boolean;
  detected: boolean;
  finding: Omit<Finding, 'call'>;
}

/** Scores of every name the labels judge, in the order given (rule file order); unjudged names are left out. */
export function scoreItems(kind: ItemKind, names: readonly string[], labels: readonly CallLabels[], outcomes: ReadonlyMap<string, CallOutcome>): ItemScore[] {
  const scores: ItemScore[] = [];
  for (const name of names) {
    const decisions: Decision[] = [];
    for (const row of labels) {
      const outcome = outcomes.get(row.call);
      const expected = expectation(kind, name, row);
      if (outcome === undefined || expected === undefined) continue;
      decisions.push({ call: row.call, expected, ...decide(kind, name, outcome) });
    }
    if (decisions.length > 0) scores.push(summarize(kind, name, decisions));
  }
  return scores;
}

/** Names the labels never judge (listed so a gap in the labels is visible). */
export function unjudged(kind: ItemKind, names: readonly string[], labels: readonly CallLabels[]): string[] {
  return names.filter((name) => labels.every((row) => expectation(kind, name, row) === undefined));
}

function expectation(kind: ItemKind, name: string, row: CallLabels): boolean | undefined {
  const [yes, no] = kind === 'category' ? [row.categories.yes, row.categories.no] : kind === 'driver' ? [row.drivers.yes, row.drivers.no] : [row.checks.fail, row.checks.pass];
  if (yes.includes(name)) return true;
  if (no.includes(name)) return false;
  return undefined;
}

function decide(kind: ItemKind, name: string, outcome: CallOutcome): { detected: boolean; finding: Omit<Finding, 'call'> } {
  if (kind === 'category') {
    const m = outcome.categories.get(name);
    return { detected: m !== undefined, finding: m ? { evidence: m.evidence, relevance: m.relevance } : { evidence: [] } };
  }
  if (kind === 'driver') {
    const evidence = outcome.drivers.get(name);
    const got = [...outcome.drivers.keys()].join(', ') || 'none';
    return { detected: evidence !== undefined, finding: { evidence: evidence ?? [], reason: `drivers: ${got}` } };
  }
  const check = outcome.checks.get(name);
  if (check === undefined) return { detected: false, finding: { evidence: [], reason: 'not scored (no scorecard section)' } };
  return { detected: check.outcome === 'fail', finding: { evidence: check.evidence, reason: `${check.outcome}: ${check.reason}` } };
}

function summarize(kind: ItemKind, name: string, decisions: readonly Decision[]): ItemScore {
  const count = (expected: boolean, detected: boolean) => decisions.filter((d) => d.expected === expected && d.detected === detected).length;
  const tp = count(true, true);
  const fp = count(false, true);
  const fn = count(true, false);
  const tn = count(false, false);
  const ratio = (num: number, den: number) => (den === 0 ? null : num / den);
  const finding = (d: Decision): Finding => ({ call: d.call, ...d.finding });
  return {
    kind,
    name,
    tp,
    fp,
    fn,
    tn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    falsePositives: decisions.filter((d) => !d.expected && d.detected).map(finding),
    misses: decisions.filter((d) => d.expected && !d.detected).map(finding),
  };
}
