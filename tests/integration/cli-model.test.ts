import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, startCli, writeYaml } from '../helpers/cli.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort } from '../helpers/redis-server.js';
import { tinyModelDir } from '../helpers/service.js';
import { zipDirectory } from '../helpers/zip.js';

// `voc model download` and serve's first-start download, from a local HTTP server holding the tiny
// model as an official-looking archive (tests never reach the internet).

const NAME = 'vosk-model-small-en-us-0.15';

describe('model download', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let archive: Buffer;
  let sha256: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'voc-cli-model-'));
    const model = tinyModelDir();
    archive = zipDirectory(model, NAME);
    rmSync(model, { recursive: true, force: true });
    sha256 = createHash('sha256').update(archive).digest('hex');
    server = createServer((req, res) => {
      if (req.url !== `/${NAME}.zip`) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': archive.length });
      res.end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${NAME}.zip`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('voc model download installs the model and prints its SHA-256; again: already installed', async () => {
    const dest = join(dir, 'models-a');
    const env = cliEnv({ VOC_CONFIG: '/dev/null' });
    const r = await runCli(['model', 'download', NAME, '--url', url, '--dir', dest], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`installed ${NAME} at ${join(dest, NAME)}`);
    expect(r.stdout).toContain(`sha256 ${sha256}\n`);
    expect(r.stderr).toContain(`model.sha256: ${sha256}`);
    expect(existsSync(join(dest, NAME, 'am/final.mdl'))).toBe(true);

    const again = await runCli(['model', 'download', NAME, '--url', url, '--dir', dest, '--sha256', sha256], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already installed');

    const forced = await runCli(['model', 'download', NAME, '--url', url, '--dir', dest, '--sha256', sha256, '--force'], { env });
    expect(forced.stdout).toContain(`sha256 ${sha256} (matches the expected checksum)`);
  });

  it('a checksum mismatch (from model.sha256 of the config) installs nothing and exits 3', async () => {
    const dest = join(dir, 'models-b');
    const config = writeYaml(dir, 'pinned.yaml', { model: { name: NAME, path: join(dest, NAME), sha256: '0'.repeat(64), url } });
    const r = await runCli(['model', 'download'], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`checksum mismatch for ${NAME}: expected SHA-256 ${'0'.repeat(64)}, got ${sha256}`);
    expect(existsSync(join(dest, NAME))).toBe(false);
  });

  it('voc model list marks the configured and installed models', async () => {
    const config = writeYaml(dir, 'list.yaml', { model: { name: NAME, path: join(dir, 'models-a', NAME) } });
    const r = await runCli(['model', 'list'], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${NAME} +en-US +40 MB +16 kHz +configured, installed +`, 'm'));
    expect(r.stdout).toMatch(/^vosk-model-en-us-0\.22 +en-US/m);
  });

  it('serve downloads an absent official model at first start, then serves', async () => {
    const target = join(dir, 'models-c', 'current'); // model.path need not be named like the model
    const config = writeYaml(dir, 'first-start.yaml', {
      server: { port: 0, host: '127.0.0.1' },
      grpc: { enabled: false },
      redis: { url: TEST_REDIS_URL, prefix: uniquePrefix('first-start') },
      model: { name: NAME, path: target, url, autoDownload: true },
    });
    const proc = startCli(['serve'], { env: cliEnv({ VOC_CONFIG: config }) });
    try {
      await proc.waitFor('stdout', /"msg":"voc-engine serving"/);
      expect(proc.stderr).toContain(`model ${NAME} not found at ${target}; downloading it (first start)`);
      expect(proc.stdout).toContain(`"sha256":"${sha256}"`);
      expect(proc.stdout).toMatch(/"msg":"model downloaded"/);
      expect(existsSync(join(target, 'conf/model.conf'))).toBe(true);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('offline at first start: exit 3 with the exact manual steps', async () => {
    const target = join(dir, 'models-d', NAME);
    const offline = `http://127.0.0.1:${await freePort()}/${NAME}.zip`;
    const config = writeYaml(dir, 'offline.yaml', { model: { name: NAME, path: target, url: offline }, logging: { level: 'silent' } });
    const r = await runCli(['serve'], { env: cliEnv({ VOC_CONFIG: config }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`voc: cannot download the Vosk model ${NAME}: cannot fetch ${offline}`);
    expect(r.stderr).toContain(`1. download ${offline}`);
    expect(r.stderr).toContain(`unzip ${NAME}.zip -d ${join(dir, 'models-d')}`);
    expect(r.stderr).toContain(`check that ${target} holds am/, conf/ and graph/`);
    expect(r.stderr).toContain(`VOC_MODEL_PATH=/path/to/${NAME}`);
    expect(existsSync(target)).toBe(false);
  });
});
