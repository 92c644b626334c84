import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, writeYaml } from '../helpers/cli.js';

/**
 * `voc eval tone` as a subprocess of the built CLI, on a small labelled set generated here with
 * espeak-ng and sox (not the RAVDESS dev set): two synthetic speakers, calm and raised sentences.
 */

const CALM = [
  'I can see your account here, give me just a moment.',
  'It looks like your last payment was received on the fourteenth.',
  'I understand, let me check whether that change was made.',
  'Thank you, that matches what I have on file here.',
];
const RAISED = [
  'No, this is completely unacceptable, I never ordered that!',
  'I have called you five times already and nobody fixes anything!',
  'I want this charge removed right now, not next week!',
];
const VOICES = [
  { speaker: 'm1', voice: 'en-us' },
  { speaker: 'f1', voice: 'en-us+f3' },
];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

interface Run {
  order: string;
  format: string;
  overall: { tp: number; fp: number; fn: number; tn: number; precision: number; recall: number; f1: number };
  latency: { count: number; medianMs: number | null };
  falseAlertsByEmotion: Record<string, number>;
  speakers: Array<{ speaker: string; tp: number; fp: number; fn: number; tn: number }>;
}

describe('voc eval tone', () => {
  /** The engine-path report of the first test, for the cross-validation test to compare with. */
  let engineRuns: Run[] | undefined;
  let dir: string;
  let set: string;
  let config: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voc-eval-tone-'));
    set = join(dir, 'set');
    mkdirSync(join(set, 'wav'), { recursive: true });
    const rows = ['filename,speaker,raised_voice_label,emotion'];
    for (const { speaker, voice } of VOICES) {
      const lines = [...CALM.map((t) => ({ t, raised: false })), ...RAISED.map((t) => ({ t, raised: true }))];
      for (const [i, { t, raised }] of lines.entries()) {
        const name = `${speaker}-${i}.wav`;
        const raw = join(dir, `${speaker}-${i}-espeak.wav`);
        const style = raised ? ['-a', '190', '-p', '75', '-s', '175'] : ['-a', '60', '-p', '40', '-s', '160'];
        run('espeak-ng', ['-w', raw, ...style, '-v', voice, t]);
        // Half a second of silence around each sentence, at 16 kHz PCM16 (what the set's files look like).
        run('sox', [raw, '-r', '16000', '-c', '1', '-e', 'signed', '-b', '16', join(set, 'wav', name), 'pad', '0.5', '0.5']);
        rows.push(`${name},${speaker},${raised ? 'raised' : 'calm'},${raised ? 'angry' : 'neutral'}`);
      }
    }
    writeFileSync(join(set, 'labels.csv'), `${rows.join('\n')}\n`);
    config = writeYaml(dir, 'voc.yaml', {});
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures every file in both orders and both formats, as JSON', async () => {
    const r = await runCli(['eval', 'tone', set, '--json', '--config', config], { env: cliEnv(), timeoutMs: 240_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { speakers: number; files: number; runs: Run[]; outcomes: Array<{ order: string; format: string; file: string; flagged: boolean }> };
    expect(report.speakers).toBe(2);
    expect(report.files).toBe(14);
    expect(report.runs.map((x) => `${x.order} ${x.format}`)).toEqual([
      'calm-first pcm16-16k',
      'calm-first mulaw-8k',
      'angry-first pcm16-16k',
      'angry-first mulaw-8k',
    ]);
    expect(report.outcomes).toHaveLength(4 * 14);
    engineRuns = report.runs;
    for (const run of report.runs) {
      const o = run.overall;
      expect(o.tp + o.fn).toBe(6);
      expect(o.fp + o.tn).toBe(8);
      expect(run.speakers.map((s) => s.speaker)).toEqual(['f1', 'm1']);
      expect(run.speakers.reduce((n, s) => n + s.tp + s.fp + s.fn + s.tn, 0)).toBe(14);
      // Calm synthetic speech is never flagged; the raised sentences are found after a calm start.
      expect(o.fp).toBe(0);
      expect(run.falseAlertsByEmotion).toEqual({ neutral: 0 });
      if (run.order === 'calm-first') {
        expect(o.recall).toBeGreaterThanOrEqual(0.5);
        expect(run.latency.count).toBe(o.tp);
        expect(run.latency.medianMs).toBeGreaterThan(0);
        expect(run.latency.medianMs).toBeLessThan(3000);
      }
    }
  }, 300_000);

  it('prints a table by default', async () => {
    const r = await runCli(['eval', 'tone', set, '--formats', 'mulaw-8k', '--config', config], { env: cliEnv(), timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/order\s+format\s+TP\s+FP\s+FN\s+TN\s+precision\s+recall\s+F1/);
    expect(r.stdout).toMatch(/calm-first\s+mulaw-8k/);
    expect(r.stdout).toMatch(/angry-first\s+mulaw-8k/);
    expect(r.stdout).not.toMatch(/pcm16-16k/);
    expect(r.stdout).toMatch(/Per speaker/);
  }, 300_000);

  it('--cross-validate K: the threshold search with speakers held out; the configured options score as through the engine', async () => {
    const r = await runCli(['eval', 'tone', set, '--cross-validate', '2', '--grid', 'quick', '--json', '--config', config], { env: cliEnv(), timeoutMs: 600_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cv = JSON.parse(r.stdout) as {
      gridSize: number;
      selections: Array<{
        rule: string;
        folds: Array<{ heldOut: string[]; chosen: Record<string, number> }>;
        heldOut: Run[];
        allSpeakersChoice: { chosen: Record<string, number>; runs: Run[] };
        heldOutVerdict: Record<string, boolean>;
      }>;
      configured: Run[];
    };
    expect(cv.gridSize).toBe(64);
    expect(cv.selections.map((x) => x.rule)).toEqual(['plain', 'neighbours']);
    for (const sel of cv.selections) {
      // Each speaker is held out exactly once, and each fold's choice is one of the grid's settings.
      expect(sel.folds.flatMap((f) => f.heldOut).sort()).toEqual(['f1', 'm1']);
      for (const f of sel.folds) expect(Object.keys(f.chosen)).toEqual(['scoreThreshold', 'minLoudnessRiseDb', 'minPitchTiltUnits', 'absoluteTiltDb', 'absoluteMinF0Hz', 'evidenceMs']);
      // Every file is scored once per run, held out.
      expect(sel.heldOut.map((x) => `${x.order} ${x.format}`)).toEqual(['calm-first pcm16-16k', 'calm-first mulaw-8k', 'angry-first pcm16-16k', 'angry-first mulaw-8k']);
      for (const run of sel.heldOut) {
        const o = run.overall;
        expect(o.tp + o.fn).toBe(6);
        expect(o.fp + o.tn).toBe(8);
      }
      expect(Object.keys(sel.heldOutVerdict).sort()).toEqual(['angryFirstF1', 'calmFirstF1', 'medianLatency', 'noFalseAlerts']);
    }
    // The search's cached frame features and tracker give what the live engine gives for the same options.
    if (engineRuns === undefined) {
      const plain = await runCli(['eval', 'tone', set, '--json', '--config', config], { env: cliEnv(), timeoutMs: 240_000 });
      engineRuns = (JSON.parse(plain.stdout) as { runs: Run[] }).runs;
    }
    expect(cv.configured.map((x) => ({ order: x.order, format: x.format, overall: x.overall, latency: x.latency }))).toEqual(
      engineRuns.map((x) => ({ order: x.order, format: x.format, overall: x.overall, latency: x.latency })),
    );
  }, 900_000);

  it('--cross-validate needs 2 folds or more and no more folds than speakers (usage error)', async () => {
    const one = await runCli(['eval', 'tone', set, '--cross-validate', '1', '--config', config], { env: cliEnv() });
    expect(one.code).toBe(64);
    expect(one.stderr).toMatch(/--cross-validate must be a whole number of folds >= 2/);
    const three = await runCli(['eval', 'tone', set, '--cross-validate', '3', '--config', config], { env: cliEnv() });
    expect(three.code).toBe(64);
    expect(three.stderr).toMatch(/--cross-validate 3: the set has 2 speakers/);
  }, 120_000);

  it('a set without labels.csv, or with a bad label, is a clear error (exit 1)', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const missing = await runCli(['eval', 'tone', empty, '--config', config], { env: cliEnv() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/labels\.csv: not found/);
    writeFileSync(join(empty, 'labels.csv'), 'filename,speaker,label\nx.wav,a,angry\n');
    const bad = await runCli(['eval', 'tone', empty, '--config', config], { env: cliEnv() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/row 2: label must be "raised" or "calm", not "angry"/);
  }, 120_000);
});
