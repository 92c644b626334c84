import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { tinyModelDir } from '../helpers/service.js';

// Issue 13, first-run wording: what a new user sees when running the CLI as the README says, and
// that each message says what to do next.

describe('first run: every message says what to do next', () => {
  it('a bare `voc` names the commands and how to get started, online and offline', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('voc: name a command: serve, replay');
    expect(r.stderr).toContain('Getting started (three terminals):');
    expect(r.stderr).toMatch(/voc serve +the engine; its first start downloads the speech model/);
    expect(r.stderr).toMatch(/voc sample call\.wav && voc stream call\.wav +a sample two-party call/);
    expect(r.stderr).toContain('Offline: `npm run model:tiny -- models/tiny`, then `VOC_MODEL_PATH=models/tiny voc serve`');
    expect(r.stderr).toContain("Run 'voc --help' for usage.");
  });

  it('voc --help ends with the same getting-started steps', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Getting started (three terminals):');
    expect(r.stdout).toContain('Recordings without a server: `voc replay call.wav`.');
  });

  it.each([
    [['replay'], 'name what to analyze: a .wav recording, a transcript file (.jsonl, .csv, .tsv) or a directory of them, e.g. `voc replay call.wav` (`voc sample call.wav` writes one)'],
    [['stream'], 'name the WAV file to stream to the running engine, e.g. `voc stream call.wav` (`voc sample call.wav` writes one; start the engine with `voc serve`)'],
    [['sample'], 'name the WAV file to write, e.g. `voc sample call.wav`'],
    [['rules', 'check'], 'name the rule files to check, e.g. `voc rules check config/rules/*.yaml`'],
  ])('%j without its argument says what to give it, with an example (not "Not enough non-option arguments")', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`voc: ${message}\n`);
    expect(r.stderr).not.toContain('non-option');
  });
});

describe('first run: voc serve says where it listens and what to try next', () => {
  let modelDir: string;
  const procs: CliProcess[] = [];
  beforeAll(() => {
    modelDir = tinyModelDir();
  });
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('with the tiny model: the URLs, Ctrl-C, and the sample call in its tone words on the port it really uses', async () => {
    const proc = startCli(['serve'], {
      env: cliEnv({ VOC_MODEL_PATH: modelDir, VOC_PORT: '0', VOC_GRPC_PORT: '0', VOC_REDIS_URL: TEST_REDIS_URL, VOC_REDIS_PREFIX: uniquePrefix('first-run') }),
    });
    procs.push(proc);
    const [, port] = await proc.waitFor('stdout', /"httpPort":(\d+)[^\n]*"msg":"voc-engine serving"/);
    await proc.waitFor('stderr', /voc serve: next, in another terminal/);
    expect(proc.stderr).toMatch(new RegExp(`voc serve: serving on http://127\\.0\\.0\\.1:${port} \\(WebSocket /v1/stream, supervisor console http://127\\.0\\.0\\.1:${port}/console\\) and gRPC 127\\.0\\.0\\.1:\\d+; stop with Ctrl-C\\.`));
    expect(proc.stderr).toContain(`\`voc sample --tiny call.wav && VOC_PORT=${port} voc stream call.wav\` streams a sample call in the tiny test model's tone words`);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});
