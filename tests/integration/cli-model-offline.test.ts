import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { cliEnv, runCli, writeYaml } from '../helpers/cli.js';
import { freePort } from '../helpers/redis-server.js';
import { tinyModelDir } from '../helpers/service.js';

// Issue 13: offline, the model errors of serve, replay and model download never mentioned the tiny
// model; replay said "download it again" on a first run; model download lacked serve's by-hand steps.
// Every model error now gives the download command, the by-hand steps and the tiny-model route.

const NAME = 'vosk-model-small-en-us-0.15';
let dir: string;
let wav: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-model-offline-'));
  wav = join(dir, 'silence.wav');
  writeFileSync(wav, encodeWav(Buffer.alloc(8000 * 2), { encoding: 'pcm16', sampleRate: 8000, channels: 1 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The three routes every offline model error must offer. */
function expectRoutes(stderr: string, modelDir: string): void {
  expect(stderr).toContain(`voc model download ${NAME}`);
  expect(stderr).toContain('Install it by hand');
  expect(stderr).toContain(`1. download https://alphacephei.com/vosk/models/${NAME}.zip`);
  expect(stderr).toContain(`check that ${modelDir} holds am/, conf/ and graph/`);
  expect(stderr).toContain('npm run model:tiny -- models/tiny');
  expect(stderr).toContain('VOC_MODEL_PATH=models/tiny');
}

function config(name: string, modelPath: string, extra: Record<string, unknown> = {}): string {
  return writeYaml(dir, `${name}.yaml`, {
    server: { port: 0, host: '127.0.0.1' },
    grpc: { enabled: false },
    model: { name: NAME, path: modelPath, autoDownload: false, ...extra },
    logging: { level: 'silent' },
  });
}

describe('offline model errors: download command, by-hand steps, tiny model', () => {
  it('model directory missing (first run, no auto-download): serve and replay say "download it", not "again"', async () => {
    const modelDir = join(dir, 'models', NAME);
    const env = cliEnv({ VOC_CONFIG: config('missing', modelDir) });
    for (const command of [['serve'], ['replay', wav, '--out', dir]]) {
      const r = await runCli(command, { env });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`Vosk model at ${modelDir}: the directory does not exist`);
      expect(r.stderr).toContain('Download it with');
      expect(r.stderr).not.toContain('Download it again');
      expectRoutes(r.stderr, modelDir);
    }
  });

  it('model incomplete (conf/model.conf missing): download it again, or the other routes', async () => {
    const modelDir = tinyModelDir();
    try {
      rmSync(join(modelDir, 'conf/model.conf'));
      const env = cliEnv({ VOC_CONFIG: config('incomplete', modelDir) });
      for (const command of [['serve'], ['replay', wav, '--out', dir]]) {
        const r = await runCli(command, { env });
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toContain('conf/model.conf is missing');
        expect(r.stderr).toContain(`Download it again with \`voc model download ${NAME}\``);
        expectRoutes(r.stderr, modelDir);
      }
    } finally {
      rmSync(modelDir, { recursive: true, force: true });
    }
  });

  it('wrong format (model.path is the zip archive, not the unpacked directory)', async () => {
    const archive = join(dir, `${NAME}.zip`);
    writeFileSync(archive, 'PK\u0003\u0004 not unpacked');
    const r = await runCli(['serve'], { env: cliEnv({ VOC_CONFIG: config('zip', archive) }) });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('this is a file, not a directory (unpack the model archive first)');
    expectRoutes(r.stderr, archive);
  });

  it('serve offline at first start (auto-download fails): the by-hand steps and the tiny model', async () => {
    const modelDir = join(dir, 'first', NAME);
    const offline = `http://127.0.0.1:${await freePort()}/${NAME}.zip`;
    const r = await runCli(['serve'], { env: cliEnv({ VOC_CONFIG: config('first-start', modelDir, { autoDownload: true, url: offline }) }) });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`cannot download the Vosk model ${NAME}: cannot fetch ${offline}`);
    expect(r.stderr).toContain(`1. download ${offline}`);
    expect(r.stderr).toContain('npm run model:tiny -- models/tiny');
  });

  it('voc model download offline: the same by-hand steps as serve, and the tiny model', async () => {
    const dest = join(dir, 'dl');
    const offline = `http://127.0.0.1:${await freePort()}/${NAME}.zip`;
    const r = await runCli(['model', 'download', NAME, '--url', offline, '--dir', dest], { env: cliEnv({ VOC_CONFIG: '/dev/null' }) });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`cannot fetch ${offline}`);
    expect(r.stderr).toContain('Install it by hand');
    expect(r.stderr).toContain(`1. download ${offline}`);
    expect(r.stderr).toContain(`unzip ${NAME}.zip -d ${dest}`);
    expect(r.stderr).toContain(`check that ${join(dest, NAME)} holds am/, conf/ and graph/`);
    expect(r.stderr).toContain('npm run model:tiny -- models/tiny');
  });
});
