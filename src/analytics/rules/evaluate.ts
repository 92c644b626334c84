import type { Evidence, TranscriptEvent } from '../../events/schema.js';
import type { RuleOptions } from '../options.js';
import { scoreCall, type CategoryMatch } from '../scorecard.js';
import { spanHit, type Hit } from '../text/occurrence.js';
import { tokenizeTranscript, tokensTimed } from '../text/tokenize.js';
import type { DetectorOutput, MeasureEvent } from '../types.js';
import type { CompiledCategory, CompiledCheck, GroupNode, MeasureLeaf, OrderNode, RuleNode, RuleSetSnapshot, TextLeaf } from './compile.js';
import type { RuleWindow } from './schema.js';
import { matchRelevance, orderTightness } from './relevance.js';
import { driverTags, recognizeDrivers, sameDrivers, type DriverResult } from '../voc/recognize.js';

/**
 * Real-time semantics of categories (copied into the README):
 *
 * - The timeline is the audio's: transcript word times, measure times, and the audio received so far.
 *   The call ends when its streams complete; its duration is `durationMs$` when given, otherwise the
 *   furthest point of audio, transcripts and measures.
 * - A **presence** rule (phrase, proximity, measure) is satisfied as soon as enough occurrences are
 *   seen in its window; the category fires at that moment if its other rules are satisfied too.
 * - An **absence** rule (`negate: true`) is decided when its window closes, or at the end of the
 *   call: a window [from, to] closes once the audio is `decisionLagMs` past `to` and no utterance
 *   that began before `to` is still waiting for its final result. It fails (for good) as soon as
 *   the thing is said inside the window.
 * - An **ordering** rule is decided at the first final occurrence of `after` (was `before` said
 *   earlier?), or, if `after` never occurs in the window, it does not match (negated or not) when
 *   the window closes or the call ends.
 * - Windows relative to the call's length (`...Percent`) and `lastMs` windows are decided only when
 *   the call ends, because the length is unknown until then.
 * - Partial transcripts that carry word timings may satisfy presence rules **tentatively**: the
 *   category alert is raised with `tentative: true`, then confirmed silently or withdrawn when the
 *   final transcript arrives. Absence and ordering rules use final transcripts only.
 * - A category fires at most once per call (key `category/<name>`); its tags are applied only once
 *   it is confirmed. Occurrences count when they start inside the window.
 */

type Truth = 'T' | 'F' | 'P';
interface Result {
  v: Truth;
  tentative: boolean;
  evidence: Hit[];
}
const PENDING: Result = { v: 'P', tentative: false, evidence: [] };
const FALSE: Result = { v: 'F', tentative: false, evidence: [] };
const trueResult = (evidence: Hit[], tentative = false): Result => ({ v: 'T', tentative, evidence });

interface Range {
  from: number;
  to: number;
}

interface CategoryState {
  status: 'none' | 'tentative' | 'final';
  match?: CategoryMatch;
}

type Trigger = 'final' | 'partial' | 'clock' | 'end';

/** Summary section 'categories'. */
export interface CategorySummary {
  /** Sorted by relevance, clearest first (ties: earliest first). */
  matched: Array<{ name: string; severity: string; tags: string[]; startMs: number; endMs: number; relevance: number; evidence: Evidence[] }>;
}

function toEvidence(hit: Hit): Evidence {
  return { ...(hit.party ? { party: hit.party } : {}), text: hit.text, startMs: hit.startMs, endMs: hit.endMs };
}

/**
 * The per-call state machine behind the rules detector: feed it transcripts, measures and the audio
 * clock; it returns the outputs each input causes. Pure (no I/O, no wall clock).
 */
export class CallRuleEngine {
  private readonly finals = new Map<number, Hit[]>();
  private readonly tentative = new Map<string, Map<number, Hit[]>>();
  /** Parties with an utterance in progress (partials seen, final not yet): where it began. */
  private readonly open = new Map<string, number>();
  private readonly states = new Map<string, CategoryState>();
  private readonly alertedChecks = new Set<string>();
  private clockMs = 0;
  private lastClockEvalMs = 0;
  /** Where windows and deadlines end, ascending (clockBoundaries), and the first the clock has not yet passed. */
  private readonly boundaries: readonly number[];
  private nextBoundary = 0;
  private ended = false;
  private durationMs: number | undefined;
  /** The drivers last reported (a 'driver' output is emitted when they change). */
  private drivers: DriverResult | undefined;
  private readonly driverCategories: ReadonlySet<string>;

  constructor(
    private readonly rules: RuleSetSnapshot,
    private readonly options: RuleOptions,
    private readonly scorecard: { enabled: boolean; passScore: number },
  ) {
    for (const c of rules.categories) this.states.set(c.name, { status: 'none' });
    this.boundaries = clockBoundaries(rules);
    this.driverCategories = new Set(rules.drivers.map((d) => d.category));
  }

  onTranscript(event: TranscriptEvent): DetectorOutput[] {
    this.clockMs = Math.max(this.clockMs, event.endMs);
    const tokens = tokenizeTranscript(event);
    const leaves = this.rules.textLeaves.filter((l) => l.party === undefined || l.party === event.party);
    if (event.final) {
      this.open.delete(event.party);
      this.tentative.delete(event.party);
      for (const leaf of leaves) {
        const hits = leaf.match(tokens).map((span) => spanHit(tokens, span, event));
        this.addHits(leaf.id, hits);
      }
      return this.evaluate('final');
    }
    const openSince = this.open.get(event.party);
    this.open.set(event.party, Math.min(openSince ?? event.startMs, event.startMs));
    if (!this.options.partials || tokens.length === 0 || !tokensTimed(tokens)) return this.evaluate('partial');
    const byLeaf = new Map<number, Hit[]>();
    for (const leaf of leaves) {
      const hits = leaf.match(tokens).map((span) => spanHit(tokens, span, event));
      if (hits.length > 0) byLeaf.set(leaf.id, hits);
    }
    this.tentative.set(event.party, byLeaf); // a partial is the whole hypothesis so far: replace
    return this.evaluate('partial');
  }

  /**
   * A text call's utterance (no audio clock): the timeline moves to the utterance's end, with its own
   * words still pending from its start (as a recognizer's open utterance would be), then it is matched.
   */
  onTextTranscript(event: TranscriptEvent): DetectorOutput[] {
    const openSince = this.open.get(event.party);
    this.open.set(event.party, Math.min(openSince ?? event.startMs, event.startMs));
    return [...this.onAudioTime(event.endMs), ...this.onTranscript(event)];
  }

  onMeasure(measure: MeasureEvent): DetectorOutput[] {
    this.clockMs = Math.max(this.clockMs, measure.endMs);
    for (const leaf of this.rules.measureLeaves) {
      if (!measureMatches(leaf, measure)) continue;
      const hit: Hit = { party: measure.party ?? '', utterance: -1, text: `${measure.measure}=${measure.value}`, startMs: measure.startMs, endMs: measure.endMs };
      this.addHits(leaf.id, [hit]);
    }
    return this.evaluate('final');
  }

  private addHits(leafId: number, hits: Hit[]): void {
    if (hits.length === 0) return;
    const list = this.finals.get(leafId) ?? [];
    for (const hit of hits) if (list.length < this.options.maxHitsPerRule) list.push(hit);
    this.finals.set(leafId, list);
  }

  /**
   * The audio received so far reaches `ms` (ms from call start). Looked at every 100 ms of audio, and
   * evaluated then only when the clock alone can change an outcome (clockMayDecide): it arrives with
   * every audio message of every call, and most ticks of most calls can decide nothing.
   */
  onAudioTime(ms: number): DetectorOutput[] {
    this.clockMs = Math.max(this.clockMs, ms);
    if (this.clockMs - this.lastClockEvalMs < 100) return [];
    this.lastClockEvalMs = this.clockMs;
    return this.clockMayDecide() ? this.evaluate('clock') : [];
  }

  /**
   * Without a new transcript or measure, an evaluation can only differ from the last one when a
   * window or deadline has closed since (the clock passed its end by decisionLagMs), or when a
   * tentative alert is waiting: the first evaluation that is not a partial's confirms or withdraws it.
   */
  private clockMayDecide(): boolean {
    let passed = false;
    while (this.nextBoundary < this.boundaries.length && this.clockMs >= this.boundaries[this.nextBoundary]! + this.options.decisionLagMs) {
      this.nextBoundary++;
      passed = true;
    }
    if (passed) return true;
    for (const category of this.rules.categories) if (this.states.get(category.name)?.status === 'tentative') return true;
    return false;
  }

  /** The call ended: decide everything, then the 'categories' and 'scorecard' summary sections. */
  end(durationMs?: number): DetectorOutput[] {
    this.ended = true;
    this.durationMs = durationMs ?? this.clockMs;
    this.open.clear();
    this.tentative.clear(); // partials whose final never came are not confirmed
    const out = this.evaluate('end');
    const matches = this.matches();
    const summary: CategorySummary = { matched: [] };
    for (const c of this.rules.categories) {
      const m = matches.get(c.name);
      if (m && !c.hidden) summary.matched.push({ name: c.name, severity: c.severity, tags: c.tags, ...m });
    }
    summary.matched.sort((a, b) => b.relevance - a.relevance || a.startMs - b.startMs);
    out.push({ kind: 'summary', section: 'categories', value: summary });
    if (this.rules.drivers.length > 0) {
      const drivers = recognizeDrivers(this.rules.drivers, matches);
      for (const tag of driverTags(drivers)) out.push({ kind: 'tag', tag });
      out.push({ kind: 'summary', section: 'drivers', value: { ...drivers, evidence: this.driverEvidence(drivers, matches) } });
    }
    if (this.rules.scorecard && this.scorecard.enabled) {
      out.push({ kind: 'summary', section: 'scorecard', value: scoreCall(this.rules.scorecard, matches, this.scorecard.passScore) });
    }
    return out;
  }

  /** Per recognized driver, the words that recognized it (its category's evidence; inline rules' included). */
  private driverEvidence(drivers: DriverResult, matches: ReadonlyMap<string, CategoryMatch>): Record<string, Evidence[]> {
    const out: Record<string, Evidence[]> = {};
    for (const ref of [drivers.primary, ...drivers.secondary]) {
      const category = this.rules.drivers.find((d) => d.id === ref.id)?.category;
      const match = category === undefined ? undefined : matches.get(category);
      if (match) out[ref.id] = match.evidence;
    }
    return out;
  }

  /**
   * The call's matches. At the end, a match's relevance counts every occurrence of the call, not only
   * those seen when it fired (its evidence and times stay those of the moment it fired).
   */
  private matches(): Map<string, CategoryMatch> {
    const out = new Map<string, CategoryMatch>();
    for (const category of this.rules.categories) {
      const state = this.states.get(category.name);
      if (state?.status !== 'final' || !state.match) continue;
      const now = this.ended ? this.node(category.root) : undefined;
      const relevance = now?.v === 'T' && now.evidence.length > 0 ? matchRelevance(dedupe(now.evidence).slice(0, this.options.maxEvidence)) : state.match.relevance;
      out.set(category.name, { ...state.match, relevance: Math.max(relevance, state.match.relevance) });
    }
    return out;
  }

  // ---- evaluation ----

  private evaluate(trigger: Trigger): DetectorOutput[] {
    const out: DetectorOutput[] = [];
    let driverMatched = false;
    for (const category of this.rules.categories) {
      const state = this.states.get(category.name)!;
      if (state.status === 'final') continue;
      const r = this.node(category.root);
      if (r.v === 'T' && !r.tentative) {
        const match = this.toMatch(r.evidence, category.root);
        if (category.alert && !category.hidden && state.status === 'none') out.push(this.categoryAlert(category, match, false));
        state.status = 'final';
        state.match = match;
        if (this.driverCategories.has(category.name)) driverMatched = true;
        if (!category.hidden) {
          out.push({ kind: 'tag', tag: category.name });
          for (const tag of category.tags) out.push({ kind: 'tag', tag });
        }
        for (const check of this.checksOf(category.name)) {
          if (check.expect === 'no_match' && check.alertOnViolation && this.applicable(check) === true) out.push(this.violationAlert(check, match));
        }
        // A forbidden thing said before its check became applicable is a violation from now on.
        for (const check of this.rules.scorecard?.checks ?? []) {
          if (check.applicableIf !== category.name || check.expect !== 'no_match' || !check.alertOnViolation) continue;
          const violated = this.states.get(check.category);
          if (violated?.status === 'final' && violated.match) out.push(this.violationAlert(check, violated.match));
        }
      } else if (r.v === 'T') {
        if (category.alert && !category.hidden && state.status === 'none' && this.options.partials) {
          out.push(this.categoryAlert(category, this.toMatch(r.evidence, category.root), true));
          state.status = 'tentative';
        }
      } else if (state.status === 'tentative' && trigger !== 'partial') {
        out.push({ kind: 'withdraw', key: `category/${category.name}` });
        state.status = 'none';
      }
    }
    if (trigger !== 'end') out.push(...this.deadlines());
    if (driverMatched) {
      const drivers = recognizeDrivers(this.rules.drivers, this.matches());
      if (!sameDrivers(this.drivers, drivers)) out.push({ kind: 'driver', drivers });
      this.drivers = drivers;
    }
    return out;
  }

  /** Live compliance alerts: a check not met by its deadline, while the call can still fix it. */
  private deadlines(): DetectorOutput[] {
    const out: DetectorOutput[] = [];
    for (const check of this.rules.scorecard?.checks ?? []) {
      if (check.deadlineMs === undefined || this.alertedChecks.has(check.name)) continue;
      if (!this.closed(check.deadlineMs) || this.states.get(check.category)?.status === 'final' || this.applicable(check) !== true) continue;
      this.alertedChecks.add(check.name);
      out.push({
        kind: 'alert',
        alert: {
          key: `compliance/${check.name}/deadline`,
          kind: 'compliance',
          category: check.name,
          severity: check.severity,
          startMs: 0,
          endMs: check.deadlineMs,
          tags: ['compliance'],
          details: { check: check.name, category: check.category, deadlineMs: check.deadlineMs, reason: 'not met by its deadline' },
        },
      });
    }
    return out;
  }

  private applicable(check: CompiledCheck): boolean | undefined {
    if (check.applicableIf === undefined) return true;
    return this.states.get(check.applicableIf)?.status === 'final' ? true : undefined;
  }

  private checksOf(category: string): CompiledCheck[] {
    return (this.rules.scorecard?.checks ?? []).filter((c) => c.category === category);
  }

  private toMatch(hits: Hit[], root: GroupNode): CategoryMatch {
    const kept = dedupe(hits).slice(0, this.options.maxEvidence);
    const evidence = kept.map(toEvidence);
    const relevance = matchRelevance(kept);
    if (evidence.length > 0) {
      return { evidence, startMs: Math.min(...evidence.map((e) => e.startMs)), endMs: Math.max(...evidence.map((e) => e.endMs)), relevance };
    }
    // Matched on absences only: place it at the window that was checked.
    const range = firstWindow(root) ? this.range(firstWindow(root)) : undefined;
    const endMs = Math.min(range?.to ?? Infinity, this.durationMs ?? this.clockMs);
    return { evidence, startMs: Math.min(range?.from ?? 0, endMs), endMs, relevance };
  }

  private categoryAlert(category: CompiledCategory, match: CategoryMatch, tentative: boolean): DetectorOutput {
    const first = match.evidence[0];
    return {
      kind: 'alert',
      alert: {
        key: `category/${category.name}`,
        kind: 'category',
        category: category.name,
        severity: category.severity,
        ...(first?.party ? { party: first.party } : {}),
        startMs: match.startMs,
        endMs: match.endMs,
        tags: category.tags,
        ...(tentative ? { tentative: true } : {}),
        details: { relevance: match.relevance, evidence: match.evidence },
      },
    };
  }

  private violationAlert(check: CompiledCheck, match: CategoryMatch): DetectorOutput {
    const first = match.evidence[0];
    return {
      kind: 'alert',
      alert: {
        key: `compliance/${check.name}/violation`,
        kind: 'compliance',
        category: check.name,
        severity: check.severity,
        ...(first?.party ? { party: first.party } : {}),
        startMs: match.startMs,
        endMs: match.endMs,
        tags: ['compliance'],
        details: { check: check.name, category: check.category, reason: 'violated', evidence: match.evidence },
      },
    };
  }

  private node(node: RuleNode): Result {
    switch (node.kind) {
      case 'text':
      case 'measure':
        return this.leaf(node);
      case 'order':
        return this.order(node);
      case 'group':
        return this.group(node);
    }
  }

  /** [from, to] of a window, or undefined while it depends on the (unknown) call length. */
  private range(window: RuleWindow | undefined): Range | undefined {
    if (!window) return { from: 0, to: Infinity };
    if (window.firstMs !== undefined) return { from: 0, to: window.firstMs };
    if (window.startMs !== undefined || window.endMs !== undefined) return { from: window.startMs ?? 0, to: window.endMs ?? Infinity };
    const d = this.ended ? this.durationMs : undefined;
    if (d === undefined) return undefined;
    if (window.lastMs !== undefined) return { from: Math.max(0, d - window.lastMs), to: d };
    if (window.firstPercent !== undefined) return { from: 0, to: (d * window.firstPercent) / 100 };
    if (window.lastPercent !== undefined) return { from: d - (d * window.lastPercent) / 100, to: d };
    return { from: (d * (window.startPercent ?? 0)) / 100, to: (d * (window.endPercent ?? 100)) / 100 };
  }

  /** Nothing more can be said inside a window ending at `to`. */
  private closed(to: number): boolean {
    if (this.ended) return true;
    if (to === Infinity || this.clockMs < to + this.options.decisionLagMs) return false;
    for (const since of this.open.values()) if (since <= to) return false;
    return true;
  }

  private leaf(leaf: TextLeaf | MeasureLeaf): Result {
    const range = this.range(leaf.window);
    if (!range) return PENDING;
    const inside = (h: Hit) => h.startMs >= range.from && h.startMs <= range.to;
    const finals = (this.finals.get(leaf.id) ?? []).filter(inside);
    if (leaf.negate) {
      if (finals.length >= leaf.minCount) return FALSE;
      return this.closed(range.to) ? trueResult([]) : PENDING;
    }
    if (finals.length >= leaf.minCount) return trueResult(finals);
    if (leaf.kind === 'text') {
      const tentative: Hit[] = [];
      for (const byLeaf of this.tentative.values()) tentative.push(...(byLeaf.get(leaf.id) ?? []).filter(inside));
      if (finals.length + tentative.length >= leaf.minCount) return trueResult([...finals, ...tentative], true);
    }
    return this.closed(range.to) ? FALSE : PENDING;
  }

  private order(node: OrderNode): Result {
    const range = this.range(node.window);
    if (!range) return PENDING;
    const inside = (h: Hit) => h.startMs >= range.from && h.startMs <= range.to;
    const first = (this.finals.get(node.after.id) ?? []).filter(inside).sort((a, b) => a.startMs - b.startMs)[0];
    if (!first) return this.closed(range.to) ? FALSE : PENDING;
    // An utterance that began earlier may still bring an earlier `after` or the `before`.
    if (!this.ended) for (const since of this.open.values()) if (since < first.startMs) return PENDING;
    const before = (this.finals.get(node.before.id) ?? []).filter((h) => inside(h) && h.endMs <= first.startMs);
    const ordered = before.length > 0;
    const holds = node.negate ? !ordered : ordered;
    if (!holds) return FALSE;
    if (!ordered) return trueResult([first]);
    const last = before[before.length - 1]!;
    const tightness = orderTightness(first.startMs - last.endMs);
    return trueResult([{ ...last, tightness }, { ...first, tightness }]);
  }

  private group(node: GroupNode): Result {
    const results = node.children.map((c) => this.node(c));
    let r: Result;
    if (node.op === 'all') {
      if (results.some((x) => x.v === 'F')) r = FALSE;
      else if (results.every((x) => x.v === 'T')) r = trueResult(results.flatMap((x) => x.evidence), results.some((x) => x.tentative));
      else r = PENDING;
    } else {
      const sure = results.filter((x) => x.v === 'T' && !x.tentative);
      const maybe = results.filter((x) => x.v === 'T' && x.tentative);
      if (sure.length > 0) r = trueResult(sure.flatMap((x) => x.evidence));
      else if (maybe.length > 0) r = trueResult(maybe.flatMap((x) => x.evidence), true);
      else if (results.every((x) => x.v === 'F')) r = FALSE;
      else r = PENDING;
    }
    if (!node.negate) return r;
    if (r.v === 'F') return trueResult([]);
    if (r.v === 'T' && !r.tentative) return FALSE;
    return PENDING;
  }
}

function measureMatches(leaf: MeasureLeaf, m: MeasureEvent): boolean {
  if (m.measure !== leaf.measure) return false;
  if (leaf.party !== undefined && m.party !== leaf.party) return false;
  if (leaf.interruptedParty !== undefined && m.interruptedParty !== leaf.interruptedParty) return false;
  if (leaf.min !== undefined && !(m.value >= leaf.min)) return false;
  if (leaf.max !== undefined && !(m.value <= leaf.max)) return false;
  if (leaf.minDurationMs !== undefined && m.endMs - m.startMs < leaf.minDurationMs) return false;
  return true;
}

/**
 * The call times at which the audio clock alone can close something: the fixed ends of rule windows
 * (firstMs, endMs; windows relative to the call's length close only at its end) and check deadlines.
 */
function clockBoundaries(rules: RuleSetSnapshot): number[] {
  const ends = new Set<number>();
  const addWindow = (window: RuleWindow | undefined): void => {
    if (window?.firstMs !== undefined) ends.add(window.firstMs);
    if (window?.endMs !== undefined) ends.add(window.endMs);
  };
  const visit = (node: RuleNode): void => {
    if (node.kind === 'group') node.children.forEach(visit);
    else addWindow(node.window);
  };
  for (const category of rules.categories) visit(category.root);
  for (const check of rules.scorecard?.checks ?? []) if (check.deadlineMs !== undefined) ends.add(check.deadlineMs);
  return [...ends].sort((a, b) => a - b);
}

/** The window of the first windowed leaf (where an absence-only match is placed). */
function firstWindow(node: RuleNode): RuleWindow | undefined {
  if (node.kind === 'group') {
    for (const c of node.children) {
      const w = firstWindow(c);
      if (w) return w;
    }
    return undefined;
  }
  return node.window;
}

function dedupe(hits: Hit[]): Hit[] {
  const seen = new Set<string>();
  return hits
    .filter((h) => {
      const k = `${h.party}|${h.startMs}|${h.endMs}|${h.text}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.startMs - b.startMs);
}
