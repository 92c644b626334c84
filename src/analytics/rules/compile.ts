import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import type { AlertSeverity } from '../../events/schema.js';
import type { MeasureName } from '../types.js';
import { compilePhrase, matchAny, matchProximity, PhraseSyntaxError, type PhraseMatcher, type Span } from '../text/match.js';
import type { Token } from '../text/tokenize.js';
import { dimensionIssues, driverCategoryName, type CompiledDriver } from '../voc/taxonomy.js';
import type { Taxonomy } from '../voc/schema.js';
import { ruleFileSchema, type Category, type Rule, type RuleFile, type RuleWindow } from './schema.js';

/** One problem in a rule file: which file, which category/check, which field. */
export interface RuleIssue {
  file: string;
  /** `category "greeting"`, `scorecard check "disclosure"`, or undefined for file-level problems. */
  rule?: string;
  /** Path inside the file, e.g. `categories[2].rules[0].window.firstMs`. */
  field: string;
  message: string;
}

export class RuleSetError extends Error {
  constructor(readonly issues: RuleIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'RuleSetError';
  }
}

export function formatIssue(i: RuleIssue): string {
  return `${i.file}: ${i.rule ? `${i.rule}: ` : ''}${i.field}: ${i.message}`;
}

// ---- compiled form (immutable, shared by every call that took this snapshot) ----

interface Leaf {
  /** Index into the per-call hit tables; unique within a snapshot. */
  id: number;
  party?: string;
  negate: boolean;
  window?: RuleWindow;
  minCount: number;
}
export interface TextLeaf extends Leaf {
  kind: 'text';
  match: (tokens: readonly Token[]) => Span[];
}
export interface MeasureLeaf extends Leaf {
  kind: 'measure';
  measure: MeasureName;
  interruptedParty?: string;
  min?: number;
  max?: number;
  minDurationMs?: number;
}
export interface OrderNode {
  kind: 'order';
  before: TextLeaf;
  after: TextLeaf;
  negate: boolean;
  window?: RuleWindow;
}
export interface GroupNode {
  kind: 'group';
  op: 'all' | 'any';
  children: RuleNode[];
  negate: boolean;
}
export type RuleNode = TextLeaf | MeasureLeaf | OrderNode | GroupNode;

export interface CompiledCategory {
  name: string;
  description?: string;
  severity: AlertSeverity;
  alert: boolean;
  tags: string[];
  root: GroupNode;
  /** File it came from. */
  source: string;
  /** Made from a scorecard check's inline rules: no tags, no alert, not listed in the summary. */
  hidden: boolean;
}

export interface CompiledCheck {
  name: string;
  description?: string;
  weight: number;
  category: string;
  expect: 'match' | 'no_match';
  applicableIf?: string;
  deadlineMs?: number;
  alertOnViolation: boolean;
  severity: AlertSeverity;
}

export interface CompiledScorecard {
  name: string;
  checks: CompiledCheck[];
  source: string;
}

/** A consistent, immutable set of rules; a call keeps the snapshot it started with. */
export interface RuleSetSnapshot {
  /** Increases with every successful (re)load. */
  version: number;
  files: string[];
  categories: readonly CompiledCategory[];
  textLeaves: readonly TextLeaf[];
  measureLeaves: readonly MeasureLeaf[];
  scorecard?: CompiledScorecard;
  /** Call drivers (docs/voc.md), in file order; empty when no file declares any. */
  drivers: readonly CompiledDriver[];
  /** Allowed dimension values and their display names. */
  taxonomy?: Taxonomy;
}

export const EMPTY_RULE_SET: RuleSetSnapshot = Object.freeze({ version: 0, files: [], categories: [], textLeaves: [], measureLeaves: [], drivers: [] });

// ---- parsing and validation ----

export interface RuleSource {
  file: string;
  text: string;
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(document)';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names the category or check a path points into, from the raw document (it may be invalid). */
function ruleLabel(doc: unknown, path: ReadonlyArray<PropertyKey>): string | undefined {
  if (!isRecord(doc)) return undefined;
  const [section, index, third] = path;
  const label = (kind: string, item: unknown, i: unknown): string => {
    const name = isRecord(item) && typeof item.name === 'string' ? `"${item.name}"` : `#${String(i)}`;
    return `${kind} ${name}`;
  };
  if (section === 'categories' && typeof index === 'number' && Array.isArray(doc.categories)) return label('category', doc.categories[index], index);
  if (section === 'scorecard' && index === 'checks' && typeof third === 'number' && isRecord(doc.scorecard) && Array.isArray(doc.scorecard.checks)) {
    return label('scorecard check', doc.scorecard.checks[third], third);
  }
  if (section === 'lists' && typeof index === 'string') return `list "${index}"`;
  if (section === 'drivers' && typeof index === 'number' && Array.isArray(doc.drivers)) {
    const item: unknown = doc.drivers[index];
    return `driver ${isRecord(item) && typeof item.id === 'string' ? `"${item.id}"` : `#${index}`}`;
  }
  return undefined;
}

function zodIssues(file: string, doc: unknown, error: z.ZodError): RuleIssue[] {
  return error.issues.map((issue) => {
    const rule = ruleLabel(doc, issue.path);
    return { file, ...(rule ? { rule } : {}), field: fieldPath(issue.path), message: issue.message };
  });
}

/** Parses and validates one file (YAML; JSON is YAML too). Throws RuleSetError. */
export function parseRuleFile(source: RuleSource): RuleFile {
  const checked = checkRuleFile(source);
  if (checked.issues.length > 0) throw new RuleSetError(checked.issues);
  return checked.data;
}

/**
 * A file's names that belong to entries with format errors: references to them are not reported as
 * unknown (the format error is the problem), and `all` when the file could not be read as YAML.
 */
interface InvalidNames {
  all: boolean;
  lists: Set<string>;
  categories: Set<string>;
  taxonomy: boolean;
}

interface CheckedFile {
  /** The file's valid entries (all of it when `issues` is empty). */
  data: RuleFile;
  /** Where each kept entry was in the file, for field paths (absent: nothing was dropped). */
  positions?: Positions;
  issues: RuleIssue[];
  invalid: InvalidNames;
}

const EMPTY_FILE: RuleFile = ruleFileSchema.parse({});

/** Original indices of the entries an invalid file kept. */
interface Positions {
  categories: number[];
  checks: number[];
  drivers: number[];
}

/**
 * Parses and validates one file without stopping at its first bad entry: an invalid file keeps its
 * valid entries (each list, category, scorecard check and driver is checked on its own), so the
 * references of the whole rule set can still be checked in the same pass (`voc rules check` reports
 * every problem at once).
 */
function checkRuleFile(source: RuleSource): CheckedFile {
  const invalid: InvalidNames = { all: false, lists: new Set(), categories: new Set(), taxonomy: false };
  let doc: unknown;
  try {
    doc = parseYaml(source.text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '(document)';
    invalid.all = true;
    return { data: EMPTY_FILE, invalid, issues: [{ file: source.file, field: where, message: `not valid YAML/JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` }] };
  }
  // An empty file is an empty rule set, not an error (a file being written may be empty briefly).
  const parsed = ruleFileSchema.safeParse(doc ?? {});
  if (parsed.success) return { data: parsed.data, invalid, issues: [] };
  const positions: Positions = { categories: [], checks: [], drivers: [] };
  return { data: salvage(doc, invalid, positions), positions, invalid, issues: zodIssues(source.file, doc, parsed.error) };
}

/** The valid entries of an invalid file, each validated on its own; names of invalid ones go to `invalid`. */
function salvage(doc: unknown, invalid: InvalidNames, positions: Positions): RuleFile {
  if (!isRecord(doc)) {
    invalid.all = true;
    return EMPTY_FILE;
  }
  const one = (part: Record<string, unknown>): RuleFile | undefined => {
    const r = ruleFileSchema.safeParse(part);
    return r.success ? r.data : undefined;
  };
  const nameOf = (item: unknown, key = 'name'): string | undefined => (isRecord(item) && typeof item[key] === 'string' ? item[key] : undefined);
  const data: RuleFile = { ...EMPTY_FILE, lists: {}, categories: [], drivers: [] };
  if (isRecord(doc.lists)) {
    for (const [name, phrases] of Object.entries(doc.lists)) {
      const ok = one({ lists: { [name]: phrases } });
      if (ok) Object.assign(data.lists, ok.lists);
      else invalid.lists.add(name);
    }
  } else if (doc.lists !== undefined) invalid.all = true;
  if (Array.isArray(doc.categories)) {
    for (const [i, item] of doc.categories.entries()) {
      const ok = one({ categories: [item] });
      if (ok) {
        data.categories.push(...ok.categories);
        positions.categories.push(i);
      } else if (nameOf(item) !== undefined) invalid.categories.add(nameOf(item)!);
      else invalid.all = true; // a category without a name: any unknown reference may be to it
    }
  } else if (doc.categories !== undefined) invalid.all = true;
  if (isRecord(doc.scorecard)) {
    const card = doc.scorecard;
    const checks: unknown[] = Array.isArray(card.checks) ? card.checks : [];
    const kept = [...checks.entries()].filter(([, check]) => one({ scorecard: { ...card, checks: [check] } }) !== undefined);
    const ok = kept.length > 0 ? one({ scorecard: { ...card, checks: kept.map(([, check]) => check) } }) : undefined;
    if (ok?.scorecard) {
      data.scorecard = ok.scorecard;
      positions.checks.push(...kept.map(([i]) => i));
    }
  }
  if (doc.taxonomy !== undefined) {
    const ok = one({ taxonomy: doc.taxonomy });
    if (ok?.taxonomy) data.taxonomy = ok.taxonomy;
    else invalid.taxonomy = true;
  }
  if (Array.isArray(doc.drivers)) {
    for (const [i, item] of doc.drivers.entries()) {
      const ok = one({ drivers: [item] });
      if (ok) {
        data.drivers.push(...ok.drivers);
        positions.drivers.push(i);
      }
    }
  }
  return data;
}

// ---- compilation ----

/** A file's valid entries, and where each was in the file (`at`: its index there, for field paths). */
interface ParsedFile {
  file: string;
  data: RuleFile;
  at: (section: keyof Positions, kept: number) => number;
}

/** Names declared by entries with format errors, across files: a reference to one is not reported as unknown. */
class UnknownNames {
  private all = false;
  private readonly lists = new Set<string>();
  private readonly categories = new Set<string>();
  taxonomyInvalid = false;

  add(invalid: InvalidNames): void {
    this.all ||= invalid.all;
    this.taxonomyInvalid ||= invalid.taxonomy;
    for (const name of invalid.lists) this.lists.add(name);
    for (const name of invalid.categories) this.categories.add(name);
  }

  reportList(name: string): boolean {
    return !this.all && !this.lists.has(name);
  }

  reportCategory(name: string): boolean {
    return !this.all && !this.categories.has(name);
  }
}

class Compiler {
  readonly issues: RuleIssue[] = [];
  readonly textLeaves: TextLeaf[] = [];
  readonly measureLeaves: MeasureLeaf[] = [];
  private nextId = 0;

  constructor(
    private readonly lists: ReadonlyMap<string, string[]>,
    private readonly unknown: UnknownNames,
  ) {}

  phrases(entries: string[], at: { file: string; rule: string; field: string }): PhraseMatcher[] {
    const out: PhraseMatcher[] = [];
    entries.forEach((entry, i) => {
      const field = `${at.field}[${i}]`;
      const listName = entry.startsWith('@') ? entry.slice(1) : undefined;
      const phrases = listName === undefined ? [entry] : this.lists.get(listName);
      if (!phrases) {
        if (this.unknown.reportList(listName!)) this.issues.push({ file: at.file, rule: at.rule, field, message: `unknown word list "@${listName}"` });
        return;
      }
      for (const phrase of phrases) {
        try {
          out.push(compilePhrase(phrase));
        } catch (err) {
          if (!(err instanceof PhraseSyntaxError)) throw err;
          this.issues.push({ file: at.file, rule: at.rule, field, message: err.message });
        }
      }
    });
    return out;
  }

  textLeaf(match: TextLeaf['match'], fields: Omit<Leaf, 'id'>): TextLeaf {
    const leaf: TextLeaf = { kind: 'text', id: this.nextId++, match, ...fields };
    this.textLeaves.push(leaf);
    return leaf;
  }

  rule(rule: Rule, at: { file: string; rule: string; field: string }): RuleNode {
    const sub = (field: string) => ({ ...at, field: `${at.field}.${field}` });
    const base = (r: { party?: string; negate: boolean; window?: RuleWindow }) => ({
      negate: r.negate,
      ...(r.party !== undefined ? { party: r.party } : {}),
      ...(r.window !== undefined ? { window: r.window } : {}),
    });
    switch (rule.type) {
      case 'phrase': {
        const matchers = this.phrases(rule.phrases, sub('phrases'));
        return this.textLeaf((tokens) => matchAny(matchers, tokens), { ...base(rule), minCount: rule.minCount });
      }
      case 'proximity': {
        const a = this.phrases(rule.phrases, sub('phrases'));
        const b = this.phrases(rule.near, sub('near'));
        return this.textLeaf((tokens) => matchProximity(a, b, tokens, rule.withinWords, rule.ordered), { ...base(rule), minCount: rule.minCount });
      }
      case 'order': {
        const side = (s: typeof rule.before, name: string): TextLeaf => {
          const matchers = this.phrases(s.phrases, sub(`${name}.phrases`));
          return this.textLeaf((tokens) => matchAny(matchers, tokens), { negate: false, minCount: 1, ...(s.party !== undefined ? { party: s.party } : {}) });
        };
        return { kind: 'order', before: side(rule.before, 'before'), after: side(rule.after, 'after'), ...base(rule) };
      }
      case 'measure': {
        const leaf: MeasureLeaf = {
          kind: 'measure',
          id: this.nextId++,
          measure: rule.measure,
          minCount: rule.minCount,
          ...base(rule),
          ...(rule.interruptedParty !== undefined ? { interruptedParty: rule.interruptedParty } : {}),
          ...(rule.min !== undefined ? { min: rule.min } : {}),
          ...(rule.max !== undefined ? { max: rule.max } : {}),
          ...(rule.minDurationMs !== undefined ? { minDurationMs: rule.minDurationMs } : {}),
        };
        this.measureLeaves.push(leaf);
        return leaf;
      }
      case 'any_of':
      case 'all_of':
        return {
          kind: 'group',
          op: rule.type === 'any_of' ? 'any' : 'all',
          negate: rule.negate,
          children: rule.rules.map((r, i) => this.rule(r, sub(`rules[${i}]`))),
        };
    }
  }

  category(c: Pick<Category, 'rules'>, at: { file: string; rule: string; field: string }): GroupNode {
    return { kind: 'group', op: 'all', negate: false, children: c.rules.map((r, i) => this.rule(r, { ...at, field: `${at.field}.rules[${i}]` })) };
  }
}

/**
 * Parses, validates and compiles rule files into one snapshot. Throws RuleSetError listing every
 * problem (file, category/check, field) in one pass; nothing is partially applied. `filesMissing`:
 * some of the set's files could not be read (their problems are reported by the caller).
 */
export function compileRuleSet(sources: readonly RuleSource[], version: number, options: { filesMissing?: boolean } = {}): RuleSetSnapshot {
  const issues: RuleIssue[] = [];
  const files: ParsedFile[] = [];
  // Format errors do not stop the checks that need every file (references, duplicates): the valid
  // entries of an invalid file take part, and references to its invalid entries are not "unknown".
  const unknown = new UnknownNames();
  // Files that could not be read may declare any name: references are not checked against the rest.
  if (options.filesMissing) unknown.add({ all: true, lists: new Set(), categories: new Set(), taxonomy: false });
  for (const source of sources) {
    const checked = checkRuleFile(source);
    issues.push(...checked.issues);
    unknown.add(checked.invalid);
    files.push({ file: source.file, data: checked.data, at: (section, i) => checked.positions?.[section][i] ?? i });
  }

  const lists = new Map<string, string[]>();
  const listFile = new Map<string, string>();
  for (const { file, data } of files) {
    for (const [name, phrases] of Object.entries(data.lists)) {
      const first = listFile.get(name);
      if (first !== undefined) issues.push({ file, rule: `list "${name}"`, field: `lists.${name}`, message: `already defined in ${first}` });
      lists.set(name, phrases);
      listFile.set(name, file);
    }
  }

  const compiler = new Compiler(lists, unknown);
  const categories: CompiledCategory[] = [];
  const categoryFile = new Map<string, string>();
  let scorecard: CompiledScorecard | undefined;
  for (const { file, data, at } of files) {
    data.categories.forEach((c, kept) => {
      const i = at('categories', kept);
      const rule = `category "${c.name}"`;
      const first = categoryFile.get(c.name);
      if (first !== undefined) issues.push({ file, rule, field: `categories[${i}].name`, message: `category already defined in ${first}` });
      categoryFile.set(c.name, file);
      categories.push({
        name: c.name,
        ...(c.description !== undefined ? { description: c.description } : {}),
        severity: c.severity,
        alert: c.alert,
        tags: c.tags,
        root: compiler.category(c, { file, rule, field: `categories[${i}]` }),
        source: file,
        hidden: false,
      });
    });
  }
  for (const { file, data, at } of files) {
    if (!data.scorecard) continue;
    if (scorecard) {
      issues.push({ file, field: 'scorecard', message: `a scorecard is already defined in ${scorecard.source}; only one is allowed` });
      continue;
    }
    const checks: CompiledCheck[] = [];
    const seen = new Set<string>();
    data.scorecard.checks.forEach((check, kept) => {
      const i = at('checks', kept);
      const rule = `scorecard check "${check.name}"`;
      const field = `scorecard.checks[${i}]`;
      if (seen.has(check.name)) issues.push({ file, rule, field: `${field}.name`, message: 'duplicate check name' });
      seen.add(check.name);
      let category = check.category;
      if (check.rules) {
        category = `scorecard:${check.name}`;
        categories.push({ name: category, severity: check.severity, alert: false, tags: [], root: compiler.category({ rules: check.rules }, { file, rule, field }), source: file, hidden: true });
      } else if (category !== undefined && !categoryFile.has(category) && unknown.reportCategory(category)) {
        issues.push({ file, rule, field: `${field}.category`, message: `unknown category "${category}"` });
      }
      if (check.applicableIf !== undefined && !categoryFile.has(check.applicableIf) && unknown.reportCategory(check.applicableIf)) {
        issues.push({ file, rule, field: `${field}.applicableIf`, message: `unknown category "${check.applicableIf}"` });
      }
      checks.push({
        name: check.name,
        ...(check.description !== undefined ? { description: check.description } : {}),
        weight: check.weight,
        category: category ?? '',
        expect: check.expect,
        ...(check.applicableIf !== undefined ? { applicableIf: check.applicableIf } : {}),
        ...(check.deadlineMs !== undefined ? { deadlineMs: check.deadlineMs } : {}),
        alertOnViolation: check.alertOnViolation,
        severity: check.severity,
      });
    });
    scorecard = { name: data.scorecard.name, checks, source: file };
  }
  const { drivers, taxonomy } = compileDrivers(files, categoryFile, categories, compiler, issues, unknown);
  issues.push(...compiler.issues);
  if (issues.length > 0) throw new RuleSetError(issues);
  return Object.freeze({
    version,
    files: sources.map((s) => s.file),
    categories: Object.freeze(categories),
    textLeaves: Object.freeze(compiler.textLeaves),
    measureLeaves: Object.freeze(compiler.measureLeaves),
    ...(scorecard ? { scorecard } : {}),
    drivers: Object.freeze(drivers),
    ...(taxonomy ? { taxonomy: taxonomy.value } : {}),
  });
}

/**
 * Drivers: the taxonomy (one file declares it), unique ids, declared dimension values, and the
 * recognizing category (an existing one, or a hidden `driver:<id>` category of inline rules, which
 * the rules engine evaluates like any other).
 */
function compileDrivers(
  files: readonly ParsedFile[],
  categoryFile: ReadonlyMap<string, string>,
  categories: CompiledCategory[],
  compiler: Compiler,
  issues: RuleIssue[],
  unknown: UnknownNames,
): { drivers: CompiledDriver[]; taxonomy?: { value: Taxonomy; source: string } } {
  let taxonomy: { value: Taxonomy; source: string } | undefined;
  for (const { file, data } of files) {
    if (!data.taxonomy) continue;
    if (taxonomy) issues.push({ file, field: 'taxonomy', message: `a taxonomy is already declared in ${taxonomy.source}; only one is allowed` });
    else taxonomy = { value: data.taxonomy, source: file };
  }
  const drivers: CompiledDriver[] = [];
  const driverFile = new Map<string, string>();
  for (const { file, data, at } of files) {
    data.drivers.forEach((d, kept) => {
      const i = at('drivers', kept);
      const rule = `driver "${d.id}"`;
      const field = `drivers[${i}]`;
      const first = driverFile.get(d.id);
      if (first !== undefined) issues.push({ file, rule, field: `${field}.id`, message: `driver already defined in ${first}` });
      driverFile.set(d.id, file);
      // Against an invalid taxonomy every dimension would look undeclared: its own error says enough.
      if (!unknown.taxonomyInvalid)
        for (const issue of dimensionIssues(d.dimensions, taxonomy?.value)) issues.push({ file, rule, field: `${field}.${issue.field}`, message: issue.message });
      let category = d.category ?? driverCategoryName(d.id);
      if (d.rules) {
        categories.push({ name: category, severity: 'info', alert: false, tags: [], root: compiler.category({ rules: d.rules }, { file, rule, field }), source: file, hidden: true });
      } else if (!categoryFile.has(category)) {
        if (unknown.reportCategory(category)) issues.push({ file, rule, field: `${field}.category`, message: `unknown category "${category}"` });
        category = '';
      }
      drivers.push({
        id: d.id,
        name: d.name,
        ...(d.description !== undefined ? { description: d.description } : {}),
        priority: d.priority,
        dimensions: d.dimensions,
        category,
        source: file,
        order: drivers.length,
      });
    });
  }
  return { drivers, ...(taxonomy ? { taxonomy } : {}) };
}
