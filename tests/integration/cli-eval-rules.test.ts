import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { buildCallAudio } from '../helpers/call-audio.js';
import { cliEnv, REPO, runCli, writeYaml } from '../helpers/cli.js';
import { tinyModelDir } from '../helpers/service.js';
import type { RulesEvalReport } from '../../src/cli/eval/rules/run.js';
import type { ItemScore } from '../../src/cli/eval/rules/score.js';

/**
 * `voc eval rules` on the labelled banking set (tests/fixtures/eval-banking: 14 transcript calls,
 * labels.csv, rules.yaml), as a subprocess of the built CLI. No model: every call is a transcript.
 *
 * The expected figures were computed by hand from the calls, the rules and the labels BEFORE the
 * command was first run. Every label row lists the call's positives; `*` makes every other name a
 * negative, so each name is judged on all 14 calls (TP + FP + FN + TN = 14).
 *
 * Categories (engine verdict per call, from the rules):
 * - greeting (agent, first 15 s): greeted in 12 calls = 12 TP. b12 greets at 16 s and b13's
 *   "thank you for calling" is the customer's: both labelled and found absent = 2 TN.
 * - recording-disclosure: 12 TP; b04 says "this call may be" | "recorded ..." in two utterances, a
 *   phrase matches inside one = 1 FN; b12 never discloses = 1 TN. P 1, R 12/13, F1 24/25.
 * - identity-verification: 10 calls ask (date of birth, postcode, security question, last four
 *   digits, confirm your identity) = 10 TP; b06, b09, b10, b12 do not = 4 TN.
 * - account-details-read: b01, b04, b07, b11, b13, b14 = 6 TP; 8 TN.
 * - verified-before-details: b01, b04, b11, b13, b14 = 5 TP; b07 reads the balance before asking
 *   the date of birth, labelled absent and not matched; with the 8 calls without details = 9 TN.
 * - guarantee: b06 "i guarantee" = 1 TP; b05 "i can't guarantee" matches "guarantee*" = 1 FP;
 *   12 TN. P 1/2, R 1, F1 2/3.
 * - closing (last 30 %): 11 TP; b07 "anything else today" is neither wording = 1 FN; b04 (none) and
 *   b13 (asked at 5.5 s of 22 s) = 2 TN. P 1, R 11/12, F1 22/23.
 * - complaint (customer): b08 = 1 TP; b09 splits "make a" | "complaint" = 1 FN; b10's agent says
 *   "make a complaint" (other party) = TN; 12 TN. P 1, R 1/2, F1 2/3.
 * - close-account-request (any party, no negation): b11 = 1 TP; b02 "cancel my card" (a lost card),
 *   b03 "i do not want to close my account" (negation), b10 the agent's "close the account" (other
 *   party) = 3 FP; 10 TN. P 1/4, R 1, F1 2/5.
 * Drivers:
 * - lost-card: b02, b12 = 2 TP; 12 TN.
 * - account-closure (recognized by close-account-request): b11 = 1 TP; b02, b03, b10 = 3 FP; 10 TN.
 * - fee-dispute (fee/charge within 4 words of refund/wrong/dispute, customer): b04 "wrong fee",
 *   b05 "fee refunded", b06 "charge on my account is wrong" (4 words between) = 3 TP; b14 "you took
 *   money for nothing" = 1 FN; 10 TN. P 1, R 3/4, F1 6/7.
 * Checks (positive = the check failed; not applicable counts as not failed):
 * - greeting: fails in b12 and b13 as labelled = 2 TP; 12 TN.
 * - recording-disclosure: b12 fails as labelled = 1 TP; b04 fails (split phrase) but passed = 1 FP; 12 TN.
 * - identity-first (applicable when details were read): b07 fails = 1 TP; 13 TN (b01, b04, b11, b13,
 *   b14 pass; 8 calls not applicable).
 * - no-guarantees: b06 = 1 TP; b05 = 1 FP; 12 TN.
 * - closing: b04 and b13 fail as labelled = 2 TP; b07 fails (wording) but passed = 1 FP; 11 TN.
 *   P 2/3, R 1, F1 4/5.
 * Lowest F1: close-account-request and account-closure, 2/5: --min-f1 0.5 fails on those two, 0.4 passes.
 */

type Counts = [tp: number, fp: number, fn: number, tn: number];
const EXPECTED: Record<'categories' | 'drivers' | 'checks', Record<string, Counts>> = {
  categories: {
    greeting: [12, 0, 0, 2],
    'recording-disclosure': [12, 0, 1, 1],
    'identity-verification': [10, 0, 0, 4],
    'account-details-read': [6, 0, 0, 8],
    'verified-before-details': [5, 0, 0, 9],
    guarantee: [1, 1, 0, 12],
    closing: [11, 0, 1, 2],
    complaint: [1, 0, 1, 12],
    'close-account-request': [1, 3, 0, 10],
  },
  drivers: {
    'lost-card': [2, 0, 0, 12],
    'account-closure': [1, 3, 0, 10],
    'fee-dispute': [3, 0, 1, 10],
  },
  checks: {
    greeting: [2, 0, 0, 12],
    'recording-disclosure': [1, 1, 0, 12],
    'identity-first': [1, 0, 0, 13],
    'no-guarantees': [1, 1, 0, 12],
    closing: [2, 1, 0, 11],
  },
};

/** The false positives with their evidence (word times where the transcript has words, else the utterance's). */
const FALSE_POSITIVES = [
  { kind: 'category', name: 'guarantee', call: 'b05-cannot-guarantee', evidence: [{ party: 'agent', text: 'guarantee', startMs: 11000, endMs: 14000 }] },
  { kind: 'category', name: 'close-account-request', call: 'b02-lost-card', evidence: [{ party: 'customer', text: 'cancel my card', startMs: 8000, endMs: 9500 }] },
  { kind: 'category', name: 'close-account-request', call: 'b03-keep-account', evidence: [{ party: 'customer', text: 'close my account', startMs: 7000, endMs: 8500 }] },
  { kind: 'category', name: 'close-account-request', call: 'b10-agent-offers-closure', evidence: [{ party: 'agent', text: 'close the account', startMs: 8750, endMs: 9500 }] },
  { kind: 'driver', name: 'account-closure', call: 'b02-lost-card', reason: 'drivers: lost-card, account-closure', evidence: [{ party: 'customer', text: 'cancel my card', startMs: 8000, endMs: 9500 }] },
  { kind: 'driver', name: 'account-closure', call: 'b03-keep-account', reason: 'drivers: account-closure', evidence: [{ party: 'customer', text: 'close my account', startMs: 7000, endMs: 8500 }] },
  { kind: 'driver', name: 'account-closure', call: 'b10-agent-offers-closure', reason: 'drivers: account-closure', evidence: [{ party: 'agent', text: 'close the account', startMs: 8750, endMs: 9500 }] },
  { kind: 'check', name: 'recording-disclosure', call: 'b04-split-disclosure', reason: 'fail: did not match', evidence: [] },
  { kind: 'check', name: 'no-guarantees', call: 'b05-cannot-guarantee', reason: 'fail: occurred', evidence: [{ party: 'agent', text: 'guarantee', startMs: 11000, endMs: 14000 }] },
  { kind: 'check', name: 'closing', call: 'b07-details-first', reason: 'fail: did not match', evidence: [] },
];
const MISSES = [
  { kind: 'category', name: 'recording-disclosure', call: 'b04-split-disclosure' },
  { kind: 'category', name: 'closing', call: 'b07-details-first' },
  { kind: 'category', name: 'complaint', call: 'b09-split-complaint' },
  { kind: 'driver', name: 'fee-dispute', call: 'b14-money-back', reason: 'drivers: unclassified' },
];

/** The --json output: the report, plus the --min-f1 verdict. */
interface Report extends RulesEvalReport {
  minF1: number | null;
  belowMinF1: Array<{ kind: string; name: string; f1: number }>;
}

const SET = join(REPO, 'tests/fixtures/eval-banking');
const RULES = join(SET, 'rules.yaml');

describe('voc eval rules on the banking example set', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voc-eval-rules-'));
    // Transcripts need no model: a run that loaded one would fail on this path.
    env = cliEnv({ VOC_CONFIG: writeYaml(dir, 'voc.yaml', { model: { path: join(dir, 'no-model-here'), autoDownload: false } }) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: the hand-computed figures, every false positive with its evidence, every miss', async () => {
    const r = await runCli(['eval', 'rules', SET, '--rules', RULES, '--json'], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.calls).toBe(14);
    expect(report.unlabelledCalls).toEqual([]);
    expect(report.notLabelled).toEqual({ categories: [], drivers: [], checks: [] });
    expect(report).toMatchObject({ minF1: null, belowMinF1: [] });
    for (const section of ['categories', 'drivers', 'checks'] as const) {
      // Rule file order; `unclassified` is not labelled, so not scored.
      expect(report[section].map((s) => s.name)).toEqual(Object.keys(EXPECTED[section]));
      for (const s of report[section]) {
        const [tp, fp, fn, tn] = EXPECTED[section][s.name]!;
        expect({ name: s.name, tp: s.tp, fp: s.fp, fn: s.fn, tn: s.tn }).toEqual({ name: s.name, tp, fp, fn, tn });
        expect(s.precision).toBe(tp + fp === 0 ? null : tp / (tp + fp));
        expect(s.recall).toBe(tp + fn === 0 ? null : tp / (tp + fn));
        expect(s.f1).toBe((2 * tp) / (2 * tp + fp + fn));
      }
    }
    // The figures named in the comment above, as numbers.
    const byName = (section: ItemScore[], name: string) => section.find((s) => s.name === name)!;
    expect(byName(report.categories, 'recording-disclosure').f1).toBeCloseTo(24 / 25, 12);
    expect(byName(report.categories, 'closing').f1).toBeCloseTo(22 / 23, 12);
    expect(byName(report.categories, 'close-account-request')).toMatchObject({ precision: 0.25, recall: 1, f1: 0.4 });
    expect(byName(report.drivers, 'fee-dispute')).toMatchObject({ precision: 1, recall: 0.75 });
    expect(byName(report.checks, 'closing').f1).toBeCloseTo(0.8, 12);

    const all = [...report.categories, ...report.drivers, ...report.checks];
    const fps = all.flatMap((s) => s.falsePositives.map(({ relevance, ...f }) => ({ kind: s.kind, name: s.name, ...f, relevance })));
    expect(fps.map(({ relevance: _, ...f }) => f)).toEqual(FALSE_POSITIVES);
    // Category false positives carry their relevance (docs/analytics.md#relevance).
    for (const f of fps.filter((x) => x.kind === 'category')) {
      expect(f.relevance).toBeGreaterThan(0);
      expect(f.relevance).toBeLessThanOrEqual(1);
    }
    const misses = all.flatMap((s) => s.misses.map((m) => ({ kind: s.kind, name: s.name, ...m })));
    expect(misses.map((m) => ({ kind: m.kind, name: m.name, call: m.call, ...(m.reason ? { reason: m.reason } : {}) }))).toEqual(MISSES);
    expect(misses.every((m) => m.evidence.length === 0)).toBe(true);
  }, 180_000);

  it('prints tables, each false positive with its words and times, and each miss', async () => {
    const r = await runCli(['eval', 'rules', SET, '--rules', RULES], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^category\s+TP\s+FP\s+FN\s+TN\s+precision\s+recall\s+F1$/m);
    expect(out).toMatch(/^greeting\s+12\s+0\s+0\s+2\s+1\.00\s+1\.00\s+1\.00$/m);
    expect(out).toMatch(/^recording-disclosure\s+12\s+0\s+1\s+1\s+1\.00\s+0\.92\s+0\.96$/m);
    expect(out).toMatch(/^close-account-request\s+1\s+3\s+0\s+10\s+0\.25\s+1\.00\s+0\.40$/m);
    expect(out).toMatch(/^driver\s+TP\s+FP\s+FN\s+TN/m);
    expect(out).toMatch(/^fee-dispute\s+3\s+0\s+1\s+10\s+1\.00\s+0\.75\s+0\.86$/m);
    expect(out).toMatch(/^check \(positive = failed\)\s+TP/m);
    expect(out).toMatch(/^closing\s+2\s+1\s+0\s+11\s+0\.67\s+1\.00\s+0\.80$/m);
    expect(out).toContain('False positives (10)');
    expect(out).toMatch(/ {2}category close-account-request {2}call=b03-keep-account {2}relevance=0\.\d\d\n {6}customer: "close my account" {2}00:07\.000-00:08\.500\n/);
    expect(out).toMatch(/ {2}category close-account-request {2}call=b10-agent-offers-closure {2}relevance=0\.\d\d\n {6}agent: "close the account" {2}00:08\.750-00:09\.500\n/);
    expect(out).toContain('  check no-guarantees  call=b05-cannot-guarantee  fail: occurred\n      agent: "guarantee"  00:11.000-00:14.000\n');
    expect(out).toContain('Misses (4)');
    expect(out).toContain('  category complaint  call=b09-split-complaint\n');
    expect(out).toContain('  driver fee-dispute  call=b14-money-back  drivers: unclassified\n');
  }, 180_000);

  it('--min-f1: exits 1 naming what fell below, 0 when nothing did', async () => {
    const failing = await runCli(['eval', 'rules', SET, '--rules', RULES, '--min-f1', '0.5', '--json'], { env, timeoutMs: 120_000 });
    expect(failing.code).toBe(1);
    expect(failing.stderr.trim()).toBe('voc: 2 below --min-f1 0.5: category close-account-request (F1 0.40), driver account-closure (F1 0.40)');
    const report = JSON.parse(failing.stdout) as Report;
    expect(report.minF1).toBe(0.5);
    expect(report.belowMinF1).toEqual([
      { kind: 'category', name: 'close-account-request', f1: 0.4 },
      { kind: 'driver', name: 'account-closure', f1: 0.4 },
    ]);
    const text = await runCli(['eval', 'rules', SET, '--rules', RULES, '--min-f1', '0.5'], { env, timeoutMs: 120_000 });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^close-account-request\s+1\s+3\s+0\s+10\s+0\.25\s+1\.00\s+0\.40\s+< --min-f1 0\.5$/m);
    const passing = await runCli(['eval', 'rules', SET, '--rules', RULES, '--min-f1', '0.4'], { env, timeoutMs: 120_000 });
    expect(passing.stderr).toBe('');
    expect(passing.code).toBe(0);
    const usage = await runCli(['eval', 'rules', SET, '--rules', RULES, '--min-f1', '2'], { env });
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/--min-f1 must be a number from 0 to 1/);
  }, 300_000);

  it('labels in JSON, judging only what they name; calls without labels are played and listed', async () => {
    const labels = join(dir, 'some-labels.json');
    writeFileSync(
      labels,
      JSON.stringify([
        // b02's "cancel my card" and b11's request: TP 1, FP 1 for the category; b03 judges the driver only.
        { call: 'b02-lost-card', categories: [], not_categories: ['close-account-request'], drivers: ['lost-card'] },
        { call: 'b11-closure', categories: ['close-account-request'], fail_checks: [], pass_checks: ['*'] },
        { call: 'b03-keep-account', not_drivers: ['account-closure'] },
      ]),
    );
    const out = join(dir, 'summaries');
    const r = await runCli(['eval', 'rules', SET, '--rules', RULES, '--labels', labels, '--json', '--out', out], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.calls).toBe(14);
    expect(report.unlabelledCalls).toHaveLength(11);
    expect(report.categories.map((s) => [s.name, s.tp, s.fp, s.fn, s.tn])).toEqual([['close-account-request', 1, 1, 0, 0]]);
    expect(report.drivers.map((s) => [s.name, s.tp, s.fp, s.fn, s.tn])).toEqual([
      ['lost-card', 1, 0, 0, 0],
      ['account-closure', 0, 1, 0, 0],
    ]);
    expect(report.checks.map((s) => [s.name, s.tp, s.fp, s.fn, s.tn, s.f1])).toEqual([
      ['greeting', 0, 0, 0, 1, null],
      ['recording-disclosure', 0, 0, 0, 1, null],
      ['identity-first', 0, 0, 0, 1, null],
      ['no-guarantees', 0, 0, 0, 1, null],
      ['closing', 0, 0, 0, 1, null],
    ]);
    expect(report.notLabelled.drivers).toEqual(['fee-dispute']);
    // --out keeps every call's summary, the record behind each figure.
    const summary = JSON.parse(readFileSync(join(out, 'b03-keep-account.summary.json'), 'utf8')) as { analytics: { drivers: { primary: { id: string }; evidence: Record<string, unknown[]> } } };
    expect(summary.analytics.drivers.primary.id).toBe('account-closure');
    expect(summary.analytics.drivers.evidence['account-closure']).toEqual([{ party: 'customer', text: 'close my account', startMs: 7000, endMs: 8500 }]);
    expect(readdirSync(out)).toHaveLength(14);
  }, 180_000);

  it('labels that name an unknown category or call, or contradict themselves, are refused before anything runs', async () => {
    const labels = join(dir, 'bad.csv');
    writeFileSync(labels, 'call,categories,not_categories\nb01-balance,greting,\nb99-nope,,\nb02-lost-card,complaint,complaint\n');
    const r = await runCli(['eval', 'rules', SET, '--rules', RULES, '--labels', labels], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad.csv row 2: categories: no category "greting" in the rule files (known: greeting,');
    expect(r.stderr).toContain('bad.csv row 3: no call b99-nope in the set');
    expect(r.stderr).toContain('bad.csv row 4: complaint both in categories and not_categories');
    const empty = mkdtempSync(join(dir, 'empty-'));
    const missing = await runCli(['eval', 'rules', empty, '--rules', RULES], { env, timeoutMs: 60_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no labels\.csv or labels\.json/);
  }, 120_000);
});

describe('voc eval rules on recordings', () => {
  let dir: string;
  let modelDir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voc-eval-rules-audio-'));
    modelDir = tinyModelDir();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('a recording goes through the recognizer (tiny model) and is scored like a transcript beside it', async () => {
    const set = join(dir, 'set');
    mkdirSync(set);
    // Stereo mu-law, customer left and agent right (the replay default), in the tiny model's tone words.
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
        { party: 'agent', atMs: 6500, text: 'verify' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    writeFileSync(join(set, 'rec-1.wav'), encodeWav(call.bytes, { encoding: 'mulaw', sampleRate: 8000, channels: 2 }));
    writeFileSync(join(set, 'txt-2.jsonl'), '{"party":"agent","text":"hello","startMs":0,"endMs":1000}\n{"party":"customer","text":"balance thanks","startMs":1500,"endMs":2500}\n');
    writeFileSync(join(set, 'labels.csv'), 'call,categories,not_categories\nrec-1,disclosure;churn,*\ntxt-2,,*\n');
    const rules = writeYaml(dir, 'rules.yaml', {
      categories: [
        { name: 'disclosure', rules: [{ type: 'phrase', party: 'agent', phrases: ['recorded'] }] },
        { name: 'churn', rules: [{ type: 'phrase', party: 'customer', phrases: ['cancel account'] }] },
      ],
    });
    const env = cliEnv({ VOC_CONFIG: writeYaml(dir, 'voc.yaml', { model: { path: modelDir, autoDownload: false } }) });
    const r = await runCli(['eval', 'rules', set, '--rules', rules, '--json'], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.calls).toBe(2);
    expect(report.categories.map((s) => [s.name, s.tp, s.fp, s.fn, s.tn])).toEqual([
      ['disclosure', 1, 0, 0, 1],
      ['churn', 1, 0, 0, 1],
    ]);
    // Labelled the other way round, the recording's words become false positives with their recognized times.
    writeFileSync(join(set, 'labels.csv'), 'call,categories,not_categories\nrec-1,,*\ntxt-2,,*\n');
    const wrong = JSON.parse((await runCli(['eval', 'rules', set, '--rules', rules, '--json'], { env, timeoutMs: 120_000 })).stdout) as Report;
    const churn = wrong.categories.find((s) => s.name === 'churn')!;
    expect(churn).toMatchObject({ tp: 0, fp: 1, fn: 0, tn: 1 });
    expect(churn.falsePositives).toEqual([
      expect.objectContaining({ call: 'rec-1', evidence: [{ party: 'customer', text: 'cancel account', startMs: expect.any(Number), endMs: expect.any(Number) }] }),
    ]);
    const [evidence] = churn.falsePositives[0]!.evidence as Array<{ startMs: number; endMs: number }>;
    expect(evidence!.startMs).toBeGreaterThanOrEqual(2900);
    expect(evidence!.endMs).toBeLessThanOrEqual(4600);
  }, 300_000);
});
