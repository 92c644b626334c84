import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deinterleave } from '../../src/audio/deinterleave.js';
import { mulawDecode } from '../../src/audio/g711.js';
import { encodeWav, WavFile } from '../../src/audio/wav.js';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio } from '../helpers/call-audio.js';
import { cliEnv, REPO, runCli, startCli, writeYaml, type CliProcess } from '../helpers/cli.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { freePort } from '../helpers/redis-server.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitForSummary } from '../helpers/redis-summary.js';
import { tinyModelDir } from '../helpers/service.js';

// `voc sample` and `voc stream` from the built CLI against the real service (tiny model, real Redis).

const RULE_FILES = ['lists', 'compliance', 'customer-experience', 'scorecard'].map((f) => join(REPO, 'config/rules', `${f}.yaml`));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-cli-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function stat(path: string) {
  const wav = await WavFile.open(path);
  await wav.close();
  return wav.info;
}

describe('voc stream against the running engine', () => {
  const live = useLiveService('cli-stream', { keywords: CALL_KEYWORDS, analytics: { rulesFiles: RULE_FILES } });
  let tinyWav: string;

  beforeAll(async () => {
    tinyWav = join(dir, 'x.wav');
    const r = await runCli(['sample', '--tiny', tinyWav]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*x\.wav: 18\.3 s, tiny-model tone words, stereo mu-law 8 kHz \(channel 0 customer, channel 1 agent\)/);
  });

  it('voc sample --tiny writes a stereo mu-law 8 kHz call', async () => {
    expect(await stat(tinyWav)).toMatchObject({ encoding: 'mulaw', sampleRate: 8000, channels: 2, durationMs: 18_300 });
  });

  it('--speed 0: transcripts of both parties, the keyword and rule alerts, the summary (also in Redis), exit 0', async () => {
    const callId = 'cli-stream-1';
    const r = await runCli(['stream', tinyWav, '--url', live.svc.wsUrl('/v1/stream'), '--speed', '0', '--call-id', callId]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const said = lines.filter((l) => l.startsWith('SAID'));
    expect(said).toContainEqual(expect.stringMatching(/^SAID +call=cli-stream-1 {2}customer: {2}"hello cancel account refund" {2}00:02\.\d{3}-00:04\.\d{3}$/));
    expect(said).toContainEqual(expect.stringMatching(/^SAID +call=cli-stream-1 {2}agent: {2}"hello recorded" {2}00:00\.\d{3}-00:01\.\d{3}$/));
    expect(said.filter((l) => l.includes('customer:'))).toHaveLength(5);
    expect(said.filter((l) => l.includes('agent:'))).toHaveLength(5);
    expect(lines).toContainEqual(expect.stringMatching(/^HIGH +churn-risk {2}call=cli-stream-1 {2}party=customer {2}"cancel account" {2}00:02\.\d{3}-00:0[34]\.\d{3} {2}\(keyword\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^MEDIUM +escalation {2}call=cli-stream-1 {2}party=customer {2}"supervisor" {2}00:10\.\d{3}-00:10\.\d{3} {2}\(keyword\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^HIGH +forbidden-promise {2}call=cli-stream-1 {2}party=agent .*\(category\)$/));
    const summaryLine = lines.at(-1)!;
    expect(summaryLine).toMatch(/^SUMMARY +call=cli-stream-1 {2}duration=00:18\.300 {2}alerts=\d+ {2}tags=\S*churn-risk\S* {2}end=stop$/);
    expect(r.stderr).toMatch(/call cli-stream-1 started \(mulaw, 8000 Hz, parties customer,agent\)/);
    expect(r.stderr).not.toMatch(/dropped/);

    const stored = JSON.parse((await live.redis.get(live.keys.callSummary(callId)))!) as CallSummary;
    expect(stored).toMatchObject({ callId, protocol: 'stream', endReason: 'stop', cutShort: false, parties: ['customer', 'agent'], durationMs: 18_300 });
    expect(summaryLine).toContain(`alerts=${stored.alertCount}`);
    expect(stored.audio).toEqual({ customer: { receivedMs: 18_300, droppedMs: 0 }, agent: { receivedMs: 18_300, droppedMs: 0 } });
    expect(stored.metadata).toEqual({ source: 'voc stream' });
  });

  it('--speed 8 --json: every server message as received, paced on the call clock, with a generated callId', async () => {
    const began = performance.now();
    const r = await runCli(['stream', tinyWav, '--url', live.svc.wsUrl('/v1/stream'), '--speed', '8', '--json']);
    const elapsedMs = performance.now() - began;
    expect(r.code, r.stderr).toBe(0);
    const messages = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; callId: string; final?: boolean });
    expect(messages[0]).toMatchObject({ type: 'started', parties: ['customer', 'agent'] });
    expect(messages.at(-1)).toMatchObject({ type: 'summary', endReason: 'stop' });
    expect(messages.some((m) => m.type === 'transcript' && m.final === false)).toBe(true); // --json keeps partials
    const callId = messages[0]!.callId;
    expect(callId).toMatch(/^x-[0-9a-f]{6}$/);
    // 18.3 s of audio at 8x takes at least 2.3 s to send: paced, never faster (a busy machine only makes it slower).
    expect(elapsedMs).toBeGreaterThan(18_300 / 8);
    const sent = /sent 18\.3 s of audio in (\d+\.\d) s \((\d+\.\d)x real time\)/.exec(r.stderr);
    expect(sent, r.stderr).not.toBeNull();
    expect(Number(sent![2])).toBeLessThan(8.5);
    expect(Number(sent![2])).toBeGreaterThan(1); // faster than real time, as asked
    expect(await live.redis.exists(live.keys.callSummary(callId))).toBe(1);
  });

  it('Ctrl-C sends stop, prints the summary of the audio sent, exits 130', async () => {
    const proc = startCli(['stream', tinyWav, '--url', live.svc.wsUrl('/v1/stream'), '--speed', '2', '--call-id', 'cli-stream-int']);
    await proc.waitFor('stdout', /SAID .*customer:/);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toEqual({ code: 130, signal: null });
    expect(proc.stderr).toContain('SIGINT: sending stop and waiting for the call summary');
    const summary = proc.stdout.trim().split('\n').at(-1)!;
    expect(summary).toMatch(/^SUMMARY +call=cli-stream-int {2}duration=00:0\d\.\d{3} .* end=stop$/);
    const stored = JSON.parse((await live.redis.get(live.keys.callSummary('cli-stream-int')))!) as CallSummary;
    expect(stored).toMatchObject({ endReason: 'stop' });
    expect(stored.durationMs).toBeLessThan(10_000);
  });

  it('an error event from the server: its code and message, exit 1', async () => {
    const odd = buildCallAudio([{ party: 'customer', atMs: 0, text: 'hello' }], { parties: ['customer'], sampleRate: 11025, encoding: 'pcm16' });
    const file = join(dir, 'odd-rate.wav');
    writeFileSync(file, encodeWav(odd.bytes, { encoding: 'pcm16', sampleRate: 11025, channels: 1 }));
    const r = await runCli(['stream', file, '--url', live.svc.wsUrl('/v1/stream')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('voc: the server rejected the call: unsupported_sample_rate: sampleRate 11025 not allowed');
    expect(r.stdout).toBe('');
  });

  it('without --url: the engine the config names (VOC_PORT, or server.port of --config)', async () => {
    const port = String(live.svc.service.httpPort);
    const byEnv = await runCli(['stream', tinyWav, '--speed', '0', '--call-id', 'cli-stream-env'], { env: cliEnv({ VOC_PORT: port }), cwd: dir });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(byEnv.stdout).toMatch(/call=cli-stream-env/);
    const config = writeYaml(dir, 'stream-config.yaml', { server: { port: Number(port), host: '0.0.0.0' } });
    const byFile = await runCli(['stream', tinyWav, '--speed', '0', '--call-id', 'cli-stream-config', '--config', config], { cwd: dir });
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.stdout).toMatch(/call=cli-stream-config/);
  });

  it('a URL nobody listens on: exit 1 naming the URL', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/v1/stream`;
    const r = await runCli(['stream', tinyWav, '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`voc: cannot connect to ${url}: connection refused`);
    const notFound = await runCli(['stream', tinyWav, '--url', live.svc.wsUrl('/v1/nope')]);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toContain(`cannot connect to ${live.svc.wsUrl('/v1/nope')}: the server answered 404`);
  });

  it('a file that is not a WAV, or is missing: exit 1 naming it, nothing sent', async () => {
    const text = join(dir, 'notes.wav');
    writeFileSync(text, 'these are meeting notes, not audio');
    const r = await runCli(['stream', text, '--url', live.svc.wsUrl('/v1/stream')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`voc: ${text}: not a WAV file: no RIFF/WAVE header`);
    const missing = await runCli(['stream', join(dir, 'absent.wav'), '--url', live.svc.wsUrl('/v1/stream')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'absent.wav')}: no such file or directory`);
  });
});

describe('voc stream when the engine dies mid-call', () => {
  const procs: CliProcess[] = [];
  let modelDir: string;
  const prefix = uniquePrefix('cli-stream-kill');
  beforeAll(() => {
    modelDir = tinyModelDir();
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(modelDir, { recursive: true, force: true });
    const redis = testRedis();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('the socket closes without a summary: exit 1 with the close code', async () => {
    const config = writeYaml(dir, 'kill.yaml', {
      server: { port: 0, host: '127.0.0.1' },
      grpc: { enabled: false },
      redis: { url: TEST_REDIS_URL, prefix },
      model: { path: modelDir, autoDownload: false },
      logging: { level: 'info' },
    });
    const serve = startCli(['serve'], { env: cliEnv({ VOC_CONFIG: config }) });
    procs.push(serve);
    const [, port] = await serve.waitFor('stdout', /"httpPort":(\d+)[^\n]*"msg":"voc-engine serving"/);
    const url = `ws://127.0.0.1:${port}/v1/stream`;
    const file = join(dir, 'kill.wav');
    expect((await runCli(['sample', '--tiny', file])).code).toBe(0);
    const stream = startCli(['stream', file, '--url', url, '--call-id', 'killed']);
    procs.push(stream);
    await stream.waitFor('stderr', /call killed started/);
    serve.child.kill('SIGKILL');
    expect((await stream.exited).code).toBe(1);
    expect(stream.stderr).toContain(`voc: the connection to ${url} closed (code 1006) without a call summary`);
  });
});

describe('voc sample (espeak-ng)', () => {
  it('writes an English two-party call: stereo mu-law 8 kHz, speech on both channels taking turns', async () => {
    const file = join(dir, 'y.wav');
    const r = await runCli(['sample', file]);
    expect(r.code, r.stderr).toBe(0);
    const info = await stat(file);
    expect(info).toMatchObject({ encoding: 'mulaw', sampleRate: 8000, channels: 2 });
    expect(info.durationMs).toBeGreaterThan(30_000);
    expect(info.durationMs).toBeLessThan(90_000);

    const bytes = readFileSync(file).subarray(info.dataOffset, info.dataOffset + info.dataBytes);
    const [customer, agent] = deinterleave(mulawDecode(bytes), 2).map((ch) => windowDbfs(ch, 8000, 100));
    const speech = (levels: number[]) => levels.map((db) => db > -40);
    const c = speech(customer!);
    const a = speech(agent!);
    const seconds = (active: boolean[]) => active.filter(Boolean).length / 10;
    // Each party talks for a good part of the call, in several turns, mostly not at the same time.
    expect(seconds(c)).toBeGreaterThan(8);
    expect(seconds(a)).toBeGreaterThan(12);
    expect(turns(c)).toBeGreaterThanOrEqual(5);
    expect(turns(a)).toBeGreaterThanOrEqual(5);
    const both = c.filter((v, i) => v && a[i]).length / 10;
    expect(both).toBeLessThan(0.1 * Math.min(seconds(c), seconds(a)));
    // Between turns the line is quiet but not digital silence.
    const quiet = customer!.filter((db, i) => !c[i] && !a[i]);
    expect(Math.max(...quiet.slice(0, 5))).toBeLessThan(-55);
    expect(Math.min(...customer!)).toBeGreaterThan(-90);

    // Deterministic: the same command writes the same file.
    const again = join(dir, 'y2.wav');
    expect((await runCli(['sample', again])).code).toBe(0);
    expect(readFileSync(again).equals(readFileSync(file))).toBe(true);
  });

  it('without espeak-ng: exit 1 saying how to install it, or to use --tiny', async () => {
    const r = await runCli(['sample', join(dir, 'z.wav')], { env: cliEnv({ PATH: join(dir, 'no-bin') }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('install espeak-ng (apt-get install espeak-ng) or use --tiny');
  });

  it('an unknown --voice: exit 1 naming it', async () => {
    const r = await runCli(['sample', join(dir, 'v.wav'), '--voice', 'xx-nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('espeak-ng has no voice "xx-nowhere+');
  });
});

/** RMS level per window, dBFS. */
function windowDbfs(samples: Int16Array, sampleRate: number, windowMs: number): number[] {
  const size = (sampleRate * windowMs) / 1000;
  const out: number[] = [];
  for (let at = 0; at + size <= samples.length; at += size) {
    let sum = 0;
    for (let i = at; i < at + size; i++) sum += samples[i]! * samples[i]!;
    out.push(20 * Math.log10(Math.sqrt(sum / size) / 32768 + 1e-12));
  }
  return out;
}

/** Stretches of speech, merging pauses shorter than 0.5 s (between words and sentences). */
function turns(active: boolean[]): number {
  let count = 0;
  let silentFor = Infinity;
  for (const v of active) {
    if (v) {
      if (silentFor >= 5) count++;
      silentFor = 0;
    } else silentFor++;
  }
  return count;
}
