import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/events/schema.js';
import { cliEnv, runCli, writeYaml } from '../helpers/cli.js';

// `voc replay` of transcript files, as a subprocess of the built CLI. No model: the config points at
// a directory that does not exist, so a run that needed one would fail.

const JSONL = [
  { party: 'agent', text: 'thank you for calling', startMs: 0, endMs: 1400 },
  { party: 'customer', text: 'i want to cancel my account', startMs: 1800, endMs: 3900, words: [
    { word: 'i', startMs: 1800, endMs: 1900, conf: 0.9 },
    { word: 'want', startMs: 1900, endMs: 2200, conf: 0.9 },
    { word: 'to', startMs: 2200, endMs: 2300, conf: 0.9 },
    { word: 'cancel', startMs: 2300, endMs: 2900, conf: 0.8 },
    { word: 'my', startMs: 2900, endMs: 3100, conf: 0.9 },
    { word: 'account', startMs: 3100, endMs: 3900, conf: 0.7 },
  ] },
].map((u) => JSON.stringify(u)).join('\n');

const CSV = 'party,start,end,text\nagent,0,1400,thank you for calling\ncustomer,1800,3900,"well, i want to cancel my account"\n';
const TSV = 'speaker\tstartMs\tendMs\ttext\nagent\t0\t1400\tthank you for calling\ncustomer\t1800\t3900\tcancel my account please\n';

describe('voc replay with transcript files', () => {
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voc-cli-replay-text-'));
    config = writeYaml(dir, 'voc.yaml', {
      model: { path: join(dir, 'no-model-here'), autoDownload: false },
      keywords: [{ name: 'churn-risk', phrases: ['cancel my account'], party: 'customer', severity: 'high', tags: ['churn'] }],
    });
    writeFileSync(join(dir, 'call-a.jsonl'), JSONL);
    writeFileSync(join(dir, 'call-b.csv'), CSV);
    writeFileSync(join(dir, 'call-c.tsv'), TSV);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replays JSON lines, CSV and TSV as text calls: alerts, tags and summaries, without a model', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['replay', dir, '--out', out], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HIGH +churn-risk {2}call=call-a {2}party=customer {2}"cancel my account" {2}00:02\.300-00:03\.900/);
    expect(r.stdout).toMatch(/HIGH +churn-risk {2}call=call-b {2}party=customer {2}"cancel my account" {2}00:01\.800-00:03\.900/);
    expect(r.stdout).toMatch(/HIGH +churn-risk {2}call=call-c/);
    for (const id of ['call-a', 'call-b', 'call-c']) {
      const summary = JSON.parse(readFileSync(join(out, `${id}.summary.json`), 'utf8')) as CallSummary;
      expect(summary).toMatchObject({ callId: id, input: 'text', protocol: 'replay', endReason: 'stop', tags: ['churn', 'churn-risk'], durationMs: 3900 });
      expect(summary.parties).toEqual(['agent', 'customer']);
    }
    const b = JSON.parse(readFileSync(join(out, 'call-b.summary.json'), 'utf8')) as CallSummary;
    expect(b.transcript[1]!.text).toBe('well, i want to cancel my account');
  });

  it('a bad transcript file is refused with its line, and nothing is analyzed', async () => {
    const bad = join(dir, 'bad');
    rmSync(bad, { recursive: true, force: true });
    writeFileSync(join(dir, 'bad.jsonl'), '{"party":"agent","text":"hi","startMs":0,"endMs":10}\n{"party":"agent","text":"oops"}\n');
    const r = await runCli(['replay', join(dir, 'bad.jsonl'), '--out', bad], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl: line 2: field "startMs"/);
  });

  it('times going backwards in a file end that call with an error; its summary is still written', async () => {
    const out = join(dir, 'out-back');
    writeFileSync(join(dir, 'back.csv'), 'party,start,end,text\nagent,2000,2500,hello\nagent,1000,1200,again\n');
    const r = await runCli(['replay', join(dir, 'back.csv'), '--out', out], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/back\.csv: .*backwards/);
    const summary = JSON.parse(readFileSync(join(out, 'back.summary.json'), 'utf8')) as CallSummary;
    expect(summary).toMatchObject({ endReason: 'error', transcript: [{ text: 'hello' }] });
  });
});
