import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

/**
 * The labels of a set for `voc eval rules` (docs/eval.md): per call, the categories and drivers it
 * should and should not have, and the scorecard checks that should pass or fail.
 *
 * CSV (a header row; lists separated by `;`):
 *   call,categories,not_categories,drivers,not_drivers,pass_checks,fail_checks,notes
 * JSON: an array of objects with the same keys, lists as arrays.
 *
 * `*` in not_categories / not_drivers stands for every configured one not in the positive list; in
 * pass_checks (or fail_checks) for every check not in the other list. A name a call's row does not
 * mention is not judged for that call.
 */

export interface CallLabels {
  call: string;
  /** Where the row is, for messages ("labels.csv row 3"). */
  where: string;
  categories: { yes: string[]; no: string[] };
  drivers: { yes: string[]; no: string[] };
  /** Checks that should fail (the positives) and pass. */
  checks: { fail: string[]; pass: string[] };
}

export class LabelsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelsError';
  }
}

export const LABEL_FILES = ['labels.csv', 'labels.json'] as const;
const MAX_LABELS_BYTES = 16 * 1024 * 1024;
const MAX_ROWS = 100_000;
export const ALL = '*';

const LIST_COLUMNS = ['categories', 'not_categories', 'drivers', 'not_drivers', 'pass_checks', 'fail_checks'] as const;
type ListColumn = (typeof LIST_COLUMNS)[number];
const CALL_COLUMNS = ['call', 'call_id', 'callId', 'id'];
const FREE_COLUMNS = ['notes', 'note', 'comment'];

const nameList = z.array(z.string().min(1).max(200)).max(10_000);
const jsonRowSchema = z
  .object({
    call: z.string().min(1).max(200),
    categories: nameList.optional(),
    not_categories: nameList.optional(),
    drivers: nameList.optional(),
    not_drivers: nameList.optional(),
    pass_checks: nameList.optional(),
    fail_checks: nameList.optional(),
    notes: z.string().optional(),
  })
  .strict();
const jsonSchema = z.array(jsonRowSchema).max(MAX_ROWS);

/** Reads and checks the form of a labels file (.csv or .json); names are checked by `checkLabels`. */
export async function readLabels(path: string): Promise<CallLabels[]> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new LabelsError(`${path}: not found`);
  if (info.size > MAX_LABELS_BYTES) throw new LabelsError(`${path}: larger than ${MAX_LABELS_BYTES} bytes`);
  const text = await readFile(path, 'utf8');
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return parseJsonLabels(text, path);
  if (ext === '.csv') return parseCsvLabels(text, path);
  throw new LabelsError(`${path}: labels must be a .csv or .json file`);
}

export function parseCsvLabels(text: string, file: string): CallLabels[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count_less: true, to: MAX_ROWS + 1 });
  } catch (err) {
    throw new LabelsError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (rows.length > MAX_ROWS) throw new LabelsError(`${file}: more than ${MAX_ROWS} rows`);
  if (rows.length === 0) throw new LabelsError(`${file}: no rows`);
  const header = Object.keys(rows[0]!);
  const callColumn = header.find((h) => CALL_COLUMNS.includes(h));
  if (callColumn === undefined) throw new LabelsError(`${file}: the header needs a call column (call, call_id or id)`);
  const unknown = header.filter((h) => h !== callColumn && !(LIST_COLUMNS as readonly string[]).includes(h) && !FREE_COLUMNS.includes(h));
  if (unknown.length > 0) throw new LabelsError(`${file}: unknown column(s) ${unknown.join(', ')} (known: ${[...LIST_COLUMNS, ...FREE_COLUMNS].join(', ')})`);
  return rows.map((row, i) => {
    const list = (column: ListColumn): string[] =>
      (row[column] ?? '')
        .split(';')
        .map((n) => n.trim())
        .filter((n) => n !== '');
    return toLabels(row[callColumn] ?? '', `${file} row ${i + 2}`, list);
  });
}

export function parseJsonLabels(text: string, file: string): CallLabels[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabelsError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = jsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LabelsError(`${file}: ${issue?.path.length ? `[${issue.path.join('.')}]: ` : ''}${issue?.message ?? 'invalid'} (an array of {call, categories, not_categories, drivers, not_drivers, pass_checks, fail_checks})`);
  }
  if (parsed.data.length === 0) throw new LabelsError(`${file}: no calls`);
  return parsed.data.map((row, i) => toLabels(row.call, `${file} [${i}]`, (column) => (row[column] ?? []).map((n) => n.trim())));
}

function toLabels(call: string, where: string, list: (column: ListColumn) => string[]): CallLabels {
  if (call.trim() === '') throw new LabelsError(`${where}: the call is empty`);
  return {
    call: call.trim(),
    where,
    categories: { yes: list('categories'), no: list('not_categories') },
    drivers: { yes: list('drivers'), no: list('not_drivers') },
    checks: { fail: list('fail_checks'), pass: list('pass_checks') },
  };
}

/** What the rule set defines, in file order. */
export interface RuleNames {
  categories: readonly string[];
  drivers: readonly string[];
  checks: readonly string[];
}

/**
 * Labels resolved against the rule set and the calls: `*` expanded, every name known, no name both
 * wanted and unwanted, every call present once. Returns the problems (empty when the labels are usable).
 */
export function checkLabels(labels: readonly CallLabels[], names: RuleNames, calls: ReadonlySet<string>): { labels: CallLabels[]; problems: string[] } {
  const problems: string[] = [];
  const seen = new Set<string>();
  const out: CallLabels[] = [];
  for (const row of labels) {
    if (seen.has(row.call)) problems.push(`${row.where}: call ${row.call} is labelled twice`);
    seen.add(row.call);
    if (!calls.has(row.call)) problems.push(`${row.where}: no call ${row.call} in the set (calls are named after their files, without the extension)`);
    const categories = resolvePair(row.categories.yes, row.categories.no, names.categories, 'category', 'categories', 'not_categories', row.where, problems);
    const drivers = resolvePair(row.drivers.yes, row.drivers.no, names.drivers, 'driver', 'drivers', 'not_drivers', row.where, problems, ['unclassified']);
    const checks = resolvePair(row.checks.fail, row.checks.pass, names.checks, 'check', 'fail_checks', 'pass_checks', row.where, problems, [], true);
    out.push({ ...row, categories: { yes: categories.yes, no: categories.no }, drivers: { yes: drivers.yes, no: drivers.no }, checks: { fail: checks.yes, pass: checks.no } });
  }
  return { labels: out, problems };
}

function resolvePair(
  yes: readonly string[],
  no: readonly string[],
  known: readonly string[],
  kind: string,
  yesColumn: string,
  noColumn: string,
  where: string,
  problems: string[],
  extra: readonly string[] = [],
  wildcardEitherSide = false,
): { yes: string[]; no: string[] } {
  const allowed = new Set([...known, ...extra]);
  const unknown = (list: readonly string[], column: string) => {
    for (const n of list) {
      if (n === ALL || allowed.has(n)) continue;
      problems.push(`${where}: ${column}: no ${kind} "${n}" in the rule files${known.length ? ` (known: ${known.slice(0, 30).join(', ')})` : ` (they define no ${kind})`}`);
    }
  };
  unknown(yes, yesColumn);
  unknown(no, noColumn);
  if (yes.includes(ALL) && (!wildcardEitherSide || no.includes(ALL))) problems.push(`${where}: ${yesColumn}: "*" is only allowed in ${wildcardEitherSide ? `one of ${yesColumn} and ${noColumn}` : noColumn}`);
  const explicitYes = yes.filter((n) => n !== ALL);
  const explicitNo = no.filter((n) => n !== ALL);
  const both = explicitYes.filter((n) => explicitNo.includes(n));
  if (both.length > 0) problems.push(`${where}: ${both.join(', ')} both in ${yesColumn} and ${noColumn}`);
  const rest = (taken: readonly string[]) => known.filter((n) => !taken.includes(n));
  return {
    yes: dedupe(wildcardEitherSide && yes.includes(ALL) ? [...explicitYes, ...rest(explicitNo)] : explicitYes),
    no: dedupe(no.includes(ALL) ? [...explicitNo, ...rest(explicitYes)] : explicitNo),
  };
}

function dedupe(names: string[]): string[] {
  return [...new Set(names)];
}
