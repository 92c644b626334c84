import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { cliEnv, runCli, writeYaml } from '../helpers/cli.js';
import { tinyModelDir } from '../helpers/service.js';

// Usage errors, --help, rules check, and start-up errors (config, model) of the built CLI: each a
// clear message on stderr and a documented exit code, never a signal.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-cli-usage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command line', () => {
  it.each([
    [['serve', '--help'], /voc serve.*\n[\s\S]*--redis-timeout/],
    [['replay', '--help'], /voc replay <input>[\s\S]*--parties[\s\S]*--realtime[\s\S]*--speed[\s\S]*--rules[\s\S]*--out[\s\S]*--redis/],
    [['alerts', '--help'], /voc alerts[\s\S]*--from-start[\s\S]*--last[\s\S]*--category[\s\S]*--severity[\s\S]*--call/],
    [['model', 'download', '--help'], /voc model download \[name\][\s\S]*--sha256/],
    [['model', 'list', '--help'], /voc model list/],
    [['rules', 'check', '--help'], /voc rules check <files\.\.>/],
    [['--help'], /Commands:[\s\S]*serve[\s\S]*replay[\s\S]*alerts[\s\S]*model[\s\S]*rules/],
  ])('%j prints usage and exits 0', async (args, usage) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(usage);
  });

  it.each([
    [[], /name a command: serve, replay, alerts, model, rules, stream, sample, drivers, spikes or eval/, "voc --help"],
    [['frobnicate'], /Unknown argument: frobnicate/, 'voc --help'],
    [['replay'], /name what to analyze: a \.wav recording, a transcript file/, 'voc replay --help'],
    [['replay', 'x.wav', '--speed', '0'], /--speed must be a number above 0/, 'voc replay --help'],
    [['replay', 'x.wav', '--realtime', '--speed', '2'], /--realtime and --speed exclude each other/, 'voc replay --help'],
    [['replay', 'x.wav', '--parties', 'agent,agent'], /--parties: names must be distinct/, 'voc replay --help'],
    [['replay', 'x.wav', '--bogus'], /Unknown argument: bogus/, 'voc replay --help'],
    [['alerts', '--last', '0'], /--last must be a whole number of at least 1/, 'voc alerts --help'],
    [['alerts', '--severity', 'urgent'], /Invalid values:[\s\S]*severity/, 'voc alerts --help'],
    [['alerts', '--from-start', '--last', '3'], /--from-start and --last exclude each other/, 'voc alerts --help'],
    [['model', 'download', 'llama-7b'], /"llama-7b" is not a Vosk model name/, 'voc model download --help'],
    [['model', 'download', 'vosk-model-small-en-us-0.15', '--sha256', 'abc'], /--sha256 must be 64 hex characters/, 'voc model download --help'],
    [['rules'], /name a rules command: check/, 'voc rules --help'],
    [['rules', 'check'], /name the rule files to check, e\.g\. `voc rules check config\/rules\/\*\.yaml`/, 'voc rules check --help'],
  ])('%j is a usage error (exit 64) with the reason', async (args, reason, hint) => {
    const r = await runCli(args);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toContain(`Run '${hint}' for usage.`);
  });
});

describe('voc rules check', () => {
  it('accepts the shipped rule files', async () => {
    const r = await runCli(['rules', 'check', 'config/rules/lists.yaml', 'config/rules/compliance.yaml', 'config/rules/customer-experience.yaml', 'config/rules/scorecard.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 4 file\(s\), \d+ categories, scorecard "[^"]+" with \d+ check\(s\)\n$/);
  });

  it('reports every problem with file, rule and field, and exits 1', async () => {
    const bad = writeYaml(dir, 'bad-rules.yaml', {
      categories: [
        { name: 'greeting', severity: 'urgent', rules: [{ type: 'phrase', phrases: ['hello'] }] },
        { name: 'details', rules: [{ type: 'phrase', phrases: ['@no_such_list'] }] },
      ],
    });
    const r = await runCli(['rules', 'check', bad, join(dir, 'absent.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}: category "greeting": categories[0].severity:`);
    expect(r.stderr).toContain(`${join(dir, 'absent.yaml')}: (file): file not found`);
    expect(r.stderr).toMatch(/voc: \d+ problem\(s\) in the rule files/);
  });
});

describe('start-up errors', () => {
  it('an invalid config exits 2 naming the field', async () => {
    const config = writeYaml(dir, 'bad-config.yaml', { server: { port: 'eighty' } });
    for (const command of [['serve'], ['replay', 'x.wav'], ['alerts']]) {
      const r = await runCli(command, { env: cliEnv({ VOC_CONFIG: config }) });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('field "server.port" = "eighty"');
    }
  });

  it('a broken model dir is a clear error and exit 3, for serve and replay (not a signal)', async () => {
    const model = tinyModelDir();
    truncateSync(join(model, 'am/final.mdl'), 5000);
    const config = writeYaml(dir, 'broken-model.yaml', {
      model: { path: model, autoDownload: false },
      server: { port: 0, host: '127.0.0.1' },
      grpc: { enabled: false },
      logging: { level: 'silent' },
    });
    const wav = join(dir, 'silence.wav');
    writeFileSync(wav, encodeWav(Buffer.alloc(8000 * 2), { encoding: 'pcm16', sampleRate: 8000, channels: 1 }));
    try {
      for (const command of [['serve'], ['replay', wav, '--out', dir]]) {
        const r = await runCli(command, { env: cliEnv({ VOC_CONFIG: config }) });
        expect(r.signal).toBeNull();
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toContain(`Vosk model at ${model}`);
        expect(r.stderr).toContain('libvosk could not load it');
      }
    } finally {
      rmSync(model, { recursive: true, force: true });
    }
  });
});
