import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DownloadError, ModelError } from '../../src/asr/errors.js';
import { downloadModel } from '../../src/asr/model-download.js';
import { speakPhrase } from '../../src/asr/tiny-model/speak.js';
import { MODEL_RATE, concat, openEngine, record, silence, tempTinyModel, writePackets } from '../helpers/asr.js';
import { buildZip, zipDirectory } from '../helpers/zip.js';

// A real HTTP server on port 0 serves model archives built here from the generated tiny model.

const NAME = 'vosk-model-tiny-test-0.1';
const archives = new Map<string, Buffer>();
const requests: string[] = [];
let server: Server;
let base: string;
let good: Buffer;

beforeAll(async () => {
  const model = tempTinyModel();
  good = zipDirectory(model.dir, NAME);
  archives.set(`/${NAME}.zip`, good);
  rmSync(join(model.dir, 'conf/model.conf'));
  archives.set('/broken.zip', zipDirectory(model.dir, NAME));
  model.remove();
  archives.set('/evil.zip', buildZip([{ name: `${NAME}/` }, { name: '../evil.txt', data: Buffer.from('pwned') }]));
  archives.set('/not-a-zip.zip', Buffer.from('<html>model moved</html>'));

  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/truncated.zip') {
      res.writeHead(200, { 'content-length': String(good.length) });
      res.write(good.subarray(0, good.length >> 1));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    const body = archives.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const dests: string[] = [];
function dest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voc-download-'));
  dests.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dests.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('downloadModel', () => {
  test('streams, hashes, checks, unpacks, validates and installs a model that then decodes', async () => {
    const destDir = dest();
    const progress: Array<[number, number | undefined]> = [];
    const result = await downloadModel({
      name: NAME,
      destDir,
      url: `${base}/${NAME}.zip`,
      expectedSha256: sha256(good),
      onProgress: (bytes, total) => progress.push([bytes, total]),
    });
    expect(result).toMatchObject({ modelDir: join(destDir, NAME), downloaded: true, sha256: sha256(good), bytes: good.length });
    expect(result.info).toMatchObject({ layout: 'v2', sampleRate: 16000, dir: join(destDir, NAME) });
    expect(progress[progress.length - 1]).toEqual([good.length, good.length]);
    expect(readdirSync(destDir)).toEqual([NAME]); // no temp files left

    const { engine } = await openEngine(result.modelDir);
    const stream = engine.openStream({ callId: 'dl', party: 'agent', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);
    writePackets(stream, concat(silence(300), speakPhrase('hello', { sampleRate: MODEL_RATE })));
    await stream.end();
    await done;
    expect(results[results.length - 1]!.text).toBe('hello');
    await engine.close();
  });

  test('a valid model already in place is not fetched again (unless forced)', async () => {
    const destDir = dest();
    await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip` });
    const before = requests.length;
    const again = await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip` });
    expect(again).toMatchObject({ downloaded: false, sha256: undefined });
    expect(requests.length).toBe(before);
    expect((await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip`, force: true })).downloaded).toBe(true);
    expect(readdirSync(destDir)).toEqual([NAME]);
  });

  test('checksum mismatch: error naming both hashes, nothing kept', async () => {
    const destDir = dest();
    const wrong = 'ab'.repeat(32);
    const err = await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip`, expectedSha256: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toContain(`expected SHA-256 ${wrong}, got ${sha256(good)}`);
    expect(readdirSync(destDir)).toEqual([]);
  });

  test('an archive holding a broken model is refused; the model already installed stays', async () => {
    const destDir = dest();
    await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip` });
    const err = await downloadModel({ name: NAME, destDir, url: `${base}/broken.zip`, force: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).problem).toBe('missing_file');
    expect((err as Error).message).toContain('the downloaded archive does not hold a usable model: conf/model.conf is missing');
    expect(readdirSync(destDir)).toEqual([NAME]);
    expect(existsSync(join(destDir, NAME, 'conf/model.conf'))).toBe(true);
  });

  test('entries escaping the target directory are refused', async () => {
    const parent = dest();
    const destDir = join(parent, 'models');
    const err = await downloadModel({ name: NAME, destDir, url: `${base}/evil.zip` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/invalid relative path: \.\.\/evil\.txt/);
    expect(existsSync(join(parent, 'evil.txt'))).toBe(false);
    expect(existsSync(join(destDir, 'evil.txt'))).toBe(false);
    expect(readdirSync(destDir)).toEqual([]);
  });

  test('HTTP errors, truncated transfers and non-zip bodies are clear errors with nothing left behind', async () => {
    const destDir = dest();
    const failure = (url: string) =>
      downloadModel({ name: NAME, destDir, url }).then(
        () => new Error('expected the download to fail'),
        (e: unknown) => e as Error,
      );
    expect((await failure(`${base}/missing.zip`)).message).toContain('HTTP 404');
    const truncated = await failure(`${base}/truncated.zip`);
    expect(truncated).toBeInstanceOf(DownloadError);
    expect(truncated.message).toMatch(/download of .* (failed|is incomplete)/);
    expect((await failure(`${base}/not-a-zip.zip`)).message).toContain('not a valid zip file');
    expect((await failure('http://127.0.0.1:1/x.zip')).message).toContain('cannot fetch');
    expect(readdirSync(destDir)).toEqual([]);
  });

  test('names that are not Vosk model names are refused before any request', async () => {
    const before = requests.length;
    await expect(downloadModel({ name: '../../etc', destDir: dest() })).rejects.toThrow(DownloadError);
    await expect(downloadModel({ name: NAME, destDir: dest(), expectedSha256: 'xyz' })).rejects.toThrow('64 hex characters');
    expect(requests.length).toBe(before);
  });

  test('a file in the way of the destination is not a model: it is replaced only by a good download', async () => {
    const destDir = dest();
    writeFileSync(join(destDir, NAME), 'stale');
    const result = await downloadModel({ name: NAME, destDir, url: `${base}/${NAME}.zip` });
    expect(result.downloaded).toBe(true);
    expect(readdirSync(join(destDir, NAME))).toContain('am');
  });
});
