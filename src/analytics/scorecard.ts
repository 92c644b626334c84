import type { Evidence } from '../events/schema.js';
import type { CompiledScorecard } from './rules/compile.js';

/** A category that matched during the call, with the words (and times) that made it match. */
export interface CategoryMatch {
  evidence: Evidence[];
  startMs: number;
  endMs: number;
  /** How clear the match is, 0..1 (relevance.ts). */
  relevance: number;
}

export type CheckOutcomeKind = 'pass' | 'fail' | 'not_applicable';

export interface CheckOutcome {
  name: string;
  description?: string;
  category: string;
  weight: number;
  outcome: CheckOutcomeKind;
  reason: string;
  evidence: Evidence[];
}

/** Summary section 'scorecard'. */
export interface ScorecardResult {
  name: string;
  /** Weighted score 0..100 over the applicable checks; null when no check applied. */
  score: number | null;
  passScore: number;
  passed: boolean | null;
  earnedWeight: number;
  possibleWeight: number;
  checks: CheckOutcome[];
}

/**
 * Scores a finished call. A check is not applicable when its `applicableIf` category did not match;
 * otherwise 'match' checks pass when their category matched and 'no_match' checks pass when it did
 * not. Evidence is the category's matched words (for a failed 'no_match' check: what was said).
 */
export function scoreCall(scorecard: CompiledScorecard, matches: ReadonlyMap<string, CategoryMatch>, passScore: number): ScorecardResult {
  let earnedWeight = 0;
  let possibleWeight = 0;
  const checks = scorecard.checks.map((check): CheckOutcome => {
    const base = { name: check.name, ...(check.description !== undefined ? { description: check.description } : {}), category: check.category, weight: check.weight };
    if (check.applicableIf !== undefined && !matches.has(check.applicableIf)) {
      return { ...base, outcome: 'not_applicable', reason: `"${check.applicableIf}" did not occur`, evidence: [] };
    }
    possibleWeight += check.weight;
    const match = matches.get(check.category);
    const pass = check.expect === 'match' ? match !== undefined : match === undefined;
    if (pass) earnedWeight += check.weight;
    const reason =
      check.expect === 'match' ? (pass ? 'matched' : 'did not match') : pass ? 'did not occur' : 'occurred';
    return { ...base, outcome: pass ? 'pass' : 'fail', reason, evidence: match?.evidence ?? [] };
  });
  const score = possibleWeight > 0 ? Math.round((earnedWeight / possibleWeight) * 1000) / 10 : null;
  return { name: scorecard.name, score, passScore, passed: score === null ? null : score >= passScore, earnedWeight, possibleWeight, checks };
}
