import { describe, expect, it } from 'vitest';
import { compileRuleSet, RuleSetError, type RuleIssue } from '../../src/analytics/rules/compile.js';
import { readRuleSources } from '../../src/analytics/rules/loader.js';

function issuesOf(sources: Array<{ file: string; text: string }>): RuleIssue[] {
  try {
    compileRuleSet(sources, 1);
  } catch (err) {
    if (err instanceof RuleSetError) return err.issues;
    throw err;
  }
  throw new Error('expected the rule set to be rejected');
}

const one = (text: string) => issuesOf([{ file: 'rules/a.yaml', text }]);

describe('rule file validation', () => {
  it('names file, category and field for a schema error', () => {
    const issues = one(`
categories:
  - name: greeting
    rules:
      - { type: phrase, phrases: [hello] }
  - name: disclosure
    rules:
      - { type: phrase, phrases: [recorded], window: { firstMs: "thirty" } }
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'rules/a.yaml', rule: 'category "disclosure"', field: 'categories[1].rules[0].window.firstMs' });
    expect(new RuleSetError(issues).message).toMatch(/^rules\/a\.yaml: category "disclosure": categories\[1\]\.rules\[0\]\.window\.firstMs: /);
  });

  it('rejects unknown rule types, unknown fields, and windows of two forms', () => {
    const issues = one(`
categories:
  - name: x
    rules:
      - { type: phrasee, phrases: [a] }
      - { type: phrase, phrase: [a] }
      - { type: phrase, phrases: [a], window: { firstMs: 1000, lastPercent: 10 } }
`);
    const fields = issues.map((i) => i.field);
    expect(fields).toContain('categories[0].rules[0].type');
    expect(issues.every((i) => i.rule === 'category "x"')).toBe(true);
    expect(fields.some((f) => f.startsWith('categories[0].rules[1]'))).toBe(true);
    expect(fields).toContain('categories[0].rules[2].window');
  });

  it('reports unknown word lists and phrases that cannot match, with their field', () => {
    const issues = one(`
categories:
  - name: promises
    rules:
      - type: any_of
        rules:
          - { type: phrase, phrases: [ok, "@nope"] }
          - { type: proximity, phrases: [cancel], near: ["* *"], withinWords: 2 }
`);
    expect(issues).toEqual([
      { file: 'rules/a.yaml', rule: 'category "promises"', field: 'categories[0].rules[0].rules[0].phrases[1]', message: 'unknown word list "@nope"' },
      { file: 'rules/a.yaml', rule: 'category "promises"', field: 'categories[0].rules[0].rules[1].near[0]', message: 'phrase "* *" is only wildcards' },
    ]);
  });

  it('reports YAML syntax errors with a line, duplicates across files, and bad scorecard references', () => {
    const bad = one('categories:\n  - name: a\n    rules: [\n');
    expect(bad[0]!.file).toBe('rules/a.yaml');
    expect(bad[0]!.field).toMatch(/^line \d+, column \d+$/);

    const dup = issuesOf([
      { file: 'one.yaml', text: 'categories: [{ name: a, rules: [{ type: phrase, phrases: [x] }] }]' },
      { file: 'two.yaml', text: 'categories: [{ name: a, rules: [{ type: phrase, phrases: [y] }] }]' },
    ]);
    expect(dup).toEqual([{ file: 'two.yaml', rule: 'category "a"', field: 'categories[0].name', message: 'category already defined in one.yaml' }]);

    const card = one(`
scorecard:
  checks:
    - { name: greet, category: missing }
    - { name: both, category: missing, rules: [{ type: phrase, phrases: [x] }] }
`);
    // The format error and the unknown reference, in one pass (format errors first).
    expect(card.map((i) => [i.rule, i.field])).toEqual([
      ['scorecard check "both"', 'scorecard.checks[1].category'],
      ['scorecard check "greet"', 'scorecard.checks[0].category'],
    ]);
    const ref = one('scorecard:\n  checks:\n    - { name: greet, category: missing }\n');
    expect(ref).toEqual([{ file: 'rules/a.yaml', rule: 'scorecard check "greet"', field: 'scorecard.checks[0].category', message: 'unknown category "missing"' }]);
  });

  it('accepts an empty file as no rules', () => {
    expect(compileRuleSet([{ file: 'empty.yaml', text: '' }], 3)).toMatchObject({ version: 3, categories: [] });
  });

  it('compiles the example rule files shipped in config/rules', async () => {
    const files = ['lists', 'compliance', 'customer-experience', 'scorecard'].map((n) => `config/rules/${n}.yaml`);
    const rules = compileRuleSet(await readRuleSources(files), 1);
    expect(rules.categories.map((c) => c.name)).toEqual([
      'greeting',
      'recording-disclosure',
      'account-details-read',
      'identity-verified-first',
      'account-details-before-verification',
      'forbidden-promise',
      'closing-question',
      'churn-risk',
      'escalation-request',
      'angry-customer',
      'long-silence',
      'agent-interrupts',
      'agent-too-fast',
    ]);
    expect(rules.scorecard?.checks.map((c) => c.name)).toEqual(['greeting', 'recording-disclosure', 'identity-before-account-details', 'no-forbidden-promises', 'closing-question']);
  });
});
