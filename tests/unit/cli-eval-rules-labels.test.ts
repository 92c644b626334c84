import { describe, expect, it } from 'vitest';
import { checkLabels, LabelsError, parseCsvLabels, parseJsonLabels } from '../../src/cli/eval/rules/labels.js';

const NAMES = { categories: ['a', 'b', 'c'], drivers: ['d1', 'd2'], checks: ['k1', 'k2'] };
const CALLS = new Set(['c1', 'c2']);

describe('voc eval rules labels', () => {
  it('CSV lists split on ";"; "*" makes every other name a negative (checks: either side)', () => {
    const rows = parseCsvLabels('call,categories,not_categories,drivers,not_drivers,fail_checks,pass_checks,notes\nc1,a; b,*,,d2,k2,*,"x, y"\nc2,,c,unclassified,,*,k1\n', 'l.csv');
    const { labels, problems } = checkLabels(rows, NAMES, CALLS);
    expect(problems).toEqual([]);
    expect(labels[0]).toMatchObject({ call: 'c1', categories: { yes: ['a', 'b'], no: ['c'] }, drivers: { yes: [], no: ['d2'] }, checks: { fail: ['k2'], pass: ['k1'] } });
    expect(labels[1]).toMatchObject({ call: 'c2', categories: { yes: [], no: ['c'] }, drivers: { yes: ['unclassified'], no: [] }, checks: { fail: ['k2'], pass: ['k1'] } });
  });

  it('refuses unknown columns and JSON keys, with the file named', () => {
    expect(() => parseCsvLabels('call,categorys\nc1,a\n', 'l.csv')).toThrow(new LabelsError('l.csv: unknown column(s) categorys (known: categories, not_categories, drivers, not_drivers, pass_checks, fail_checks, notes, note, comment)'));
    expect(() => parseCsvLabels('categories\na\n', 'l.csv')).toThrow(/needs a call column/);
    expect(() => parseJsonLabels('[{"call":"c1","categorys":["a"]}]', 'l.json')).toThrow(/l\.json: \[0\]: Unrecognized key: "categorys"/);
    expect(() => parseJsonLabels('{', 'l.json')).toThrow(/not valid JSON/);
  });

  it('reports every problem: unknown names and calls, duplicates, contradictions, a misplaced "*"', () => {
    const rows = parseJsonLabels(
      JSON.stringify([
        { call: 'c1', categories: ['a', 'zz'], not_categories: ['a'] },
        { call: 'c1', drivers: ['*'] },
        { call: 'c9', fail_checks: ['*'], pass_checks: ['*'] },
      ]),
      'l.json',
    );
    expect(checkLabels(rows, NAMES, CALLS).problems).toEqual([
      'l.json [0]: categories: no category "zz" in the rule files (known: a, b, c)',
      'l.json [0]: a both in categories and not_categories',
      'l.json [1]: call c1 is labelled twice',
      'l.json [1]: drivers: "*" is only allowed in not_drivers',
      'l.json [2]: no call c9 in the set (calls are named after their files, without the extension)',
      'l.json [2]: fail_checks: "*" is only allowed in one of fail_checks and pass_checks',
    ]);
  });
});
