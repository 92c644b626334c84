import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import yauzl from 'yauzl';
import { DownloadError, ModelError } from './errors.js';
import { MODEL_NAME_PATTERN, modelUrl } from './model-catalog.js';
import { validateModelDir, type ModelInfo } from './model-validate.js';

export interface DownloadOptions {
  /** Official model name, e.g. vosk-model-small-en-us-0.15. */
  name: string;
  /** Parent directory: the model ends up in `<destDir>/<name>`. */
  destDir: string;
  /** Archive URL; default the official one for `name`. */
  url?: string;
  /** Hex SHA-256 the archive must have; a mismatch is an error and nothing is kept. */
  expectedSha256?: string;
  /** Called as bytes arrive; `total` from Content-Length when the server sends it. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  fetchImpl?: typeof fetch;
  /** Replace a model that is already there and valid (a broken one is always replaced). */
  force?: boolean;
  signal?: AbortSignal;
  /** Refuse archives that unpack to more than this (zip bombs). Default 32 GiB. */
  maxUnpackedBytes?: number;
}

export interface DownloadResult {
  modelDir: string;
  /** False when a valid model was already there (nothing fetched). */
  downloaded: boolean;
  /** Hex SHA-256 of the archive (pin it in `model.sha256`); undefined when nothing was fetched. */
  sha256: string | undefined;
  bytes: number;
  info: ModelInfo;
}

/**
 * Downloads an official Vosk model archive and installs it, all or nothing: the archive streams to a
 * temp file next to the destination while being hashed, is checked against `expectedSha256`, unpacked
 * (entries escaping the target are refused), validated like at start-up, and only then renamed into
 * place. Any failure removes every temp file and leaves an existing model untouched.
 */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const { name } = options;
  if (!MODEL_NAME_PATTERN.test(name)) throw new DownloadError(`"${name}" is not a Vosk model name (like vosk-model-small-en-us-0.15)`);
  const expected = options.expectedSha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw new DownloadError('expectedSha256 must be 64 hex characters');
  const destDir = resolve(options.destDir);
  const target = join(destDir, name);

  const existing = await existingModel(target, name);
  if (existing && !options.force) return { modelDir: target, downloaded: false, sha256: undefined, bytes: 0, info: existing };

  await mkdir(destDir, { recursive: true });
  // In destDir, so the final rename stays on one filesystem (atomic).
  const work = await mkdtemp(join(destDir, `.${name}.download-`));
  try {
    const archive = join(work, `${name}.zip`);
    const { sha256, bytes } = await fetchToFile(options.url ?? modelUrl(name), archive, options);
    if (expected !== undefined && sha256 !== expected) {
      throw new DownloadError(`checksum mismatch for ${name}: expected SHA-256 ${expected}, got ${sha256}; the download was discarded`);
    }
    const unpacked = join(work, 'unpacked');
    await unzip(archive, unpacked, options.maxUnpackedBytes ?? 32 * 1024 ** 3);
    await rm(archive);
    const root = await modelRoot(unpacked);
    let info: ModelInfo;
    try {
      info = validateModelDir(root, name);
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      throw new ModelError(err.problem, target, `the downloaded archive does not hold a usable model: ${err.detail}`, 'Nothing was installed; check the model name and the source of the archive.');
    }

    if (existing || (await exists(target))) await rename(target, join(work, 'previous'));
    await rename(root, target);
    return { modelDir: target, downloaded: true, sha256, bytes, info: { ...info, dir: target } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function existingModel(target: string, name: string): Promise<ModelInfo | undefined> {
  if (!(await exists(target))) return undefined;
  try {
    return validateModelDir(target, name);
  } catch (err) {
    if (err instanceof ModelError) return undefined; // broken: it gets replaced
    throw err;
  }
}

async function fetchToFile(url: string, file: string, options: DownloadOptions): Promise<{ sha256: string; bytes: number }> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: options.signal, redirect: 'follow' });
  } catch (err) {
    throw new DownloadError(`cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new DownloadError(`cannot fetch ${url}: HTTP ${response.status}${response.status === 404 ? ' (no such model? see https://alphacephei.com/vosk/models)' : ''}`);
  }
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes, total);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
  } catch (err) {
    throw new DownloadError(`download of ${url} failed after ${bytes} bytes: ${(err as Error).message}`, { cause: err });
  }
  if (total !== undefined && bytes !== total) throw new DownloadError(`download of ${url} is incomplete: ${bytes} of ${total} bytes`);
  return { sha256: hash.digest('hex'), bytes };
}

/** Unpacks every entry under `outDir`; refuses entries that would land outside it. */
async function unzip(archive: string, outDir: string, maxUnpackedBytes: number): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    // yauzl itself rejects absolute paths, backslashes and `..` segments in entry names.
    zip = await yauzl.openPromise(archive, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    throw new DownloadError(`the archive is not a valid zip file: ${(err as Error).message}`, { cause: err });
  }
  const root = resolve(outDir);
  let unpacked = 0;
  try {
    await mkdir(root, { recursive: true });
    for await (const entry of zip.eachEntry()) {
      const path = resolve(root, entry.fileName);
      if (path !== root && !path.startsWith(root + sep)) throw new DownloadError(`archive entry escapes the model directory: ${entry.fileName}`);
      if (entry.fileName.endsWith('/')) {
        await mkdir(path, { recursive: true });
        continue;
      }
      unpacked += entry.uncompressedSize;
      if (unpacked > maxUnpackedBytes) throw new DownloadError(`the archive unpacks to more than ${maxUnpackedBytes} bytes; refused`);
      await mkdir(dirname(path), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(path, { mode: 0o644 }));
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`cannot unpack the archive: ${(err as Error).message}`, { cause: err });
  } finally {
    zip.close();
  }
}

/** Official archives hold one top-level folder named like the model; accept a flat archive too. */
async function modelRoot(unpacked: string): Promise<string> {
  const entries = (await readdir(unpacked, { withFileTypes: true })).filter((e) => e.name !== '__MACOSX');
  const only = entries[0];
  if (entries.length === 1 && only?.isDirectory()) return join(unpacked, only.name);
  return unpacked;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
