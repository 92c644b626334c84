import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import type { CallSummary } from '../../src/events/schema.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { buildCallAudio, type GeneratedCall } from '../helpers/call-audio.js';
import { cliEnv, runCli, startCli, writeYaml } from '../helpers/cli.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { tinyModelDir } from '../helpers/service.js';

// `voc replay` as a subprocess of the built CLI, on recordings rendered from the tiny model's tone words.

const SCRIPT = [
  { party: 'agent', atMs: 500, text: 'hello recorded' },
  { party: 'customer', atMs: 3000, text: 'cancel account refund' },
  { party: 'agent', atMs: 6500, text: 'verify' },
];

describe('voc replay', () => {
  let dir: string;
  let modelDir: string;
  let config: string;
  let call: GeneratedCall;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voc-cli-replay-'));
    modelDir = tinyModelDir();
    config = writeYaml(dir, 'voc.yaml', {
      model: { path: modelDir, autoDownload: false },
      keywords: [{ name: 'churn-risk', phrases: ['cancel account'], party: 'customer', severity: 'high', tags: ['churn'] }],
    });
    call = buildCallAudio(SCRIPT, { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' });
    writeFileSync(join(dir, 'call-1.wav'), encodeWav(call.bytes, { encoding: 'mulaw', sampleRate: 8000, channels: 2 }));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('prints transcripts, the alert and the summary as they happen, and writes <out>/<callId>.summary.json', async () => {
    const out = join(dir, 'out1');
    const r = await runCli(['replay', join(dir, 'call-1.wav'), '--out', out], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^SAID +call=call-1 {2}agent: {2}"hello recorded" {2}00:00\.\d{3}-00:01\.\d{3}$/),
      expect.stringMatching(/^SAID +call=call-1 {2}customer: {2}"cancel account refund" {2}00:03\.\d{3}-00:04\.\d{3}$/),
      expect.stringMatching(/^HIGH +churn-risk {2}call=call-1 {2}party=customer {2}"cancel account" {2}00:03\.\d{3}-00:0[34]\.\d{3} {2}\(keyword\)$/),
      expect.stringMatching(/^SAID +call=call-1 {2}agent: {2}"verify" {2}00:06\.\d{3}-00:06\.\d{3}$/),
      `SUMMARY   call=call-1  duration=00:08.900  alerts=1  tags=churn,churn-risk  end=stop  file=${join(out, 'call-1.summary.json')}`,
    ]);

    const summary = JSON.parse(readFileSync(join(out, 'call-1.summary.json'), 'utf8')) as CallSummary;
    expect(summary).toMatchObject({ type: 'summary', callId: 'call-1', protocol: 'replay', endReason: 'stop', cutShort: false, parties: ['customer', 'agent'], tags: ['churn', 'churn-risk'] });
    expect(summary.durationMs).toBe(call.durationMs);
    // Replayed as fast as the recognizer keeps up, and still nothing dropped.
    expect(summary.audio).toEqual({ agent: { receivedMs: call.durationMs, droppedMs: 0 }, customer: { receivedMs: call.durationMs, droppedMs: 0 } });
    const alert = summary.alerts[0]!;
    const cancel = call.words.find((w) => w.word === 'cancel')!;
    const account = call.words.find((w) => w.word === 'account')!;
    expect(Math.abs(alert.startMs - cancel.startMs)).toBeLessThanOrEqual(100);
    expect(Math.abs(alert.endMs - account.endMs)).toBeLessThanOrEqual(100);
    expect(summary.transcript.map((t) => `${t.party}:${t.text}`)).toEqual(['agent:hello recorded', 'customer:cancel account refund', 'agent:verify']);
  });

  it('replays a directory (PCM16 16 kHz mono, A-law stereo) with --json, --parties and --rules', async () => {
    const recs = join(dir, 'recs');
    mkdirSync(recs);
    const mono = buildCallAudio([{ party: 'customer', atMs: 300, text: 'supervisor' }], { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' });
    writeFileSync(join(recs, 'a mono.wav'), encodeWav(mono.bytes, { encoding: 'pcm16', sampleRate: 16000, channels: 1 }));
    const alaw = buildCallAudio([{ party: 'caller', atMs: 300, text: 'refund' }], { parties: ['caller', 'rep'], sampleRate: 8000, encoding: 'alaw' });
    writeFileSync(join(recs, 'b-alaw.WAV'), encodeWav(alaw.bytes, { encoding: 'alaw', sampleRate: 8000, channels: 2 }));
    writeFileSync(join(recs, 'notes.txt'), 'not a recording');
    const rules = writeYaml(dir, 'rules.yaml', {
      categories: [{ name: 'escalation-request', severity: 'critical', alert: true, rules: [{ type: 'phrase', phrases: ['supervisor'] }] }],
    });

    const monoRun = await runCli(['replay', recs, '--json', '--rules', rules, '--out', join(dir, 'out2'), '--parties', 'customer'], {
      env: cliEnv({ VOC_CONFIG: config }),
    });
    // --parties names one party; the stereo file has two channels: refused before anything runs.
    expect(monoRun.code).toBe(1);
    expect(monoRun.stderr).toContain('b-alaw.WAV: 2 channel(s) but --parties names 1 (customer)');

    const r = await runCli(['replay', recs, '--json', '--rules', rules, '--out', join(dir, 'out2')], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; callId: string; category?: string; text?: string });
    expect(events.filter((e) => e.type === 'summary').map((e) => e.callId)).toEqual(['a-mono', 'b-alaw']);
    expect(events.find((e) => e.type === 'alert' && e.callId === 'a-mono')).toMatchObject({ category: 'escalation-request', severity: 'critical', party: 'customer' });
    expect(events.find((e) => e.type === 'transcript' && e.callId === 'b-alaw')).toMatchObject({ party: 'customer', text: 'refund' });
    const b = JSON.parse(readFileSync(join(dir, 'out2', 'b-alaw.summary.json'), 'utf8')) as CallSummary;
    expect(b.parties).toEqual(['customer', 'agent']);
  });

  it('with --redis, publishes like a live call', async () => {
    const prefix = uniquePrefix('cli-replay');
    const redis = testRedis();
    try {
      const r = await runCli(['replay', join(dir, 'call-1.wav'), '--redis', '--out', join(dir, 'out3')], {
        env: cliEnv({ VOC_CONFIG: config, VOC_REDIS_URL: TEST_REDIS_URL, VOC_REDIS_PREFIX: prefix }),
      });
      expect(r.code).toBe(0);
      const keys = new RedisKeys(prefix);
      const stored = JSON.parse((await redis.get(keys.callSummary('call-1')))!) as CallSummary;
      expect(stored).toMatchObject({ callId: 'call-1', protocol: 'replay', alertCount: 1 });
      expect(await redis.xlen(keys.alertStream())).toBe(1);
    } finally {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('stops like a Unix tool when its reader goes away (| head), never with a crash', async () => {
    const proc = startCli(['replay', join(dir, 'call-1.wav'), '--speed', '4', '--out', join(dir, 'out4')], { env: cliEnv({ VOC_CONFIG: config }) });
    await proc.waitFor('stdout', /SAID/);
    proc.child.stdout!.destroy();
    expect(await proc.exited).toEqual({ code: 141, signal: null });
  });

  it('refuses unreadable input with the reason, analyzing nothing', async () => {
    writeFileSync(join(dir, 'fake.wav'), 'ID3 this is an mp3');
    const cd = Buffer.alloc(44100 * 2);
    writeFileSync(join(dir, 'cd.wav'), encodeWav(cd, { encoding: 'pcm16', sampleRate: 44100, channels: 1 }));
    const env = cliEnv({ VOC_CONFIG: config });
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.wav'), /missing\.wav: no such file or directory/],
      [join(dir, 'fake.wav'), /fake\.wav: not a WAV file: no RIFF\/WAVE header/],
      [join(dir, 'cd.wav'), /cd\.wav: sample rate 44100 Hz is not supported \(allowed: 8000, 16000 Hz\)/],
    ];
    for (const [input, reason] of cases) {
      const r = await runCli(['replay', input, '--out', join(dir, 'never')], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).toContain('nothing was analyzed');
      expect(r.stdout).toBe('');
    }
  });
});
