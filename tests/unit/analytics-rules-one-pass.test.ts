import { describe, expect, it } from 'vitest';
import { compileRuleSet, formatIssue, RuleSetError } from '../../src/analytics/rules/compile.js';

function problems(sources: Array<{ file: string; text: string }>): string[] {
  try {
    compileRuleSet(sources, 1);
  } catch (err) {
    if (err instanceof RuleSetError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the rule set to be rejected');
}

// Issue 13: format errors used to hide the reference checks (unknown lists and categories) until a
// second round. Every problem comes in one pass now; references to entries that have format errors
// of their own are not reported again as unknown.
describe('rule problems in one pass', () => {
  const a = `
lists:
  greetings: [hello, good morning]
  broken: []
categories:
  - name: greeting
    severity: urgent
    rules: [{ type: phrase, phrases: ["@greetings"] }]
  - name: details
    rules: [{ type: phrase, phrases: ["@no_such_list", "@broken"] }]
  - name: closing
    rules: [{ type: phrase, phrases: [goodbye], window: { firstMs: thirty } }]
scorecard:
  checks:
    - { name: greets, category: greeting }
    - { name: closes, category: closing }
    - { name: verifies, category: verification }
    - { name: half, category: details, rules: [{ type: phrase, phrases: [x] }] }
`;
  const b = `
taxonomy:
  department: { billing: Billing }
categories:
  - name: details
    rules: [{ type: phrase, phrases: ["@also_missing"] }]
drivers:
  - { id: refund, name: Refund, dimensions: { department: billing }, category: refunds }
`;

  it('reports format errors, unknown lists and categories, and duplicates of every file together', () => {
    const got = problems([{ file: 'a.yaml', text: a }, { file: 'b.yaml', text: b }]);
    expect(got).toEqual(
      expect.arrayContaining([
        // format errors
        expect.stringMatching(/^a\.yaml: list "broken": lists\.broken: /),
        expect.stringMatching(/^a\.yaml: category "greeting": categories\[0\]\.severity: /),
        expect.stringMatching(/^a\.yaml: category "closing": categories\[2\]\.rules\[0\]\.window\.firstMs: /),
        expect.stringMatching(/^a\.yaml: scorecard check "half": scorecard\.checks\[3\]\.category: give exactly one of category or rules$/),
        // references and duplicates, found in the same pass
        'a.yaml: category "details": categories[1].rules[0].phrases[0]: unknown word list "@no_such_list"',
        'a.yaml: scorecard check "verifies": scorecard.checks[2].category: unknown category "verification"',
        'b.yaml: category "details": categories[0].name: category already defined in a.yaml',
        'b.yaml: category "details": categories[0].rules[0].phrases[0]: unknown word list "@also_missing"',
        'b.yaml: driver "refund": drivers[0].category: unknown category "refunds"',
      ]),
    );
    // Entries with format errors are the problem; references to them are not "unknown" on top.
    expect(got.filter((p) => p.includes('"@broken"') || p.includes('unknown category "greeting"') || p.includes('unknown category "closing"'))).toEqual([]);
    expect(got).toHaveLength(9);
  });

  it('a file that is not YAML at all: its error, and no guesses about names it may have declared', () => {
    const got = problems([
      { file: 'lists.yaml', text: 'lists: { greetings: [hello' },
      { file: 'c.yaml', text: 'categories: [{ name: greeting, severity: urgent, rules: [{ type: phrase, phrases: ["@greetings"] }] }]' },
    ]);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^lists\.yaml: line \d+, column \d+: not valid YAML\/JSON/);
    expect(got[1]).toMatch(/^c\.yaml: category "greeting": categories\[0\]\.severity: /);
  });

  it('valid files still compile as before', () => {
    const rules = compileRuleSet([{ file: 'ok.yaml', text: b.replace('"@also_missing"', 'refund please').replace('category: refunds', 'category: details') }], 3);
    expect(rules.version).toBe(3);
    expect(rules.categories.map((c) => c.name)).toEqual(['details']);
  });
});
