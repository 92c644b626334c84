import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// Issue 13: `voc rules check` reported references (unknown lists, categories) only in a second
// round, once the format errors were fixed. One run now lists every problem of every file.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-rules-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('voc rules check: every problem in one pass', () => {
  it('a file with several errors of both kinds, and a second file: all of them, then exit 1', async () => {
    const a = join(dir, 'a.yaml');
    writeFileSync(
      a,
      `lists:
  greetings: [hello]
categories:
  - name: greeting
    severity: urgent
    rules: [{ type: phrase, phrases: ["@greetings"] }]
  - name: details
    rules: [{ type: phrase, phrases: ["@no_such_list"] }]
  - name: closing
    rules: [{ type: proximity, phrases: [thanks], near: [goodbye], withinWords: -1 }]
scorecard:
  checks:
    - { name: greets, category: greeting }
    - { name: verifies, category: verification }
`,
    );
    const b = join(dir, 'b.yaml');
    writeFileSync(b, 'categories:\n  - name: details\n    rules: [{ type: phrase, phrases: ["@also_missing"] }]\n');
    const r = await runCli(['rules', 'check', a, b]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('voc: 6 problem(s) in the rule files');
    expect(lines.slice(0, -1)).toEqual([
      expect.stringMatching(new RegExp(`^${a}: category "greeting": categories\\[0\\]\\.severity: `)),
      expect.stringMatching(new RegExp(`^${a}: category "closing": categories\\[2\\]\\.rules\\[0\\]\\.withinWords: `)),
      `${b}: category "details": categories[0].name: category already defined in ${a}`,
      `${a}: scorecard check "verifies": scorecard.checks[1].category: unknown category "verification"`,
      `${a}: category "details": categories[1].rules[0].phrases[0]: unknown word list "@no_such_list"`,
      `${b}: category "details": categories[0].rules[0].phrases[0]: unknown word list "@also_missing"`,
    ]);
  });

  it('a missing file is reported without guessing that names it might declare are unknown', async () => {
    const c = join(dir, 'c.yaml');
    writeFileSync(c, 'categories:\n  - name: uses-list\n    severity: urgent\n    rules: [{ type: phrase, phrases: ["@greetings"] }]\n');
    const r = await runCli(['rules', 'check', join(dir, 'lists.yaml'), c]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'lists.yaml')}: (file): file not found`);
    expect(r.stderr).toMatch(/categories\[0\]\.severity: /);
    expect(r.stderr).not.toContain('unknown word list');
    expect(r.stderr).toContain('voc: 2 problem(s) in the rule files');
  });
});
