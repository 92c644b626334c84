import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { DownloadError, installSteps, ModelError, TINY_MODEL_ROUTE } from '../../asr/errors.js';
import { findCatalogModel, modelUrl } from '../../asr/model-catalog.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import { CliError, EXIT, messageWithCauses } from '../errors.js';
import type { CliIo } from '../io.js';
import { installModel } from '../model-install.js';

/**
 * First start: when model.path does not exist, model.name is an official model and
 * model.autoDownload is on, download it into place before serving. Otherwise leave it to the
 * service, whose ModelError says what is missing. A failed download stops with the manual steps.
 */
export async function ensureModel(config: Config, log: Logger, io: CliIo): Promise<void> {
  const { path, name, autoDownload, sha256, url } = config.model;
  const target = resolve(path);
  if (existsSync(target) || !name || !autoDownload || !findCatalogModel(name)) return;

  const destDir = dirname(target);
  log.info({ model: name, modelPath: target }, 'model not found: downloading it (first start; model.autoDownload)');
  io.err(`voc serve: model ${name} not found at ${target}; downloading it (first start)...`);
  try {
    const result = await installModel({ name, destDir, expectedSha256: sha256, url, progress: io.stderr.isTTY === true }, io);
    // downloadModel installs `<destDir>/<name>`; model.path may name the folder differently.
    if (basename(target) !== name) await rename(result.modelDir, target);
    log.info({ model: name, modelPath: target, sha256: result.sha256, bytes: result.bytes }, 'model downloaded');
    if (!sha256 && result.sha256) io.err(`voc serve: model archive SHA-256 ${result.sha256} (pin it as model.sha256 to check future downloads)`);
  } catch (err) {
    if (!(err instanceof DownloadError || err instanceof ModelError)) throw err;
    const reason = messageWithCauses(err);
    log.error({ model: name, err: reason }, 'model download failed');
    throw new CliError(EXIT.model, manualSteps(name, target, url ?? modelUrl(name), reason));
  }
}

/** What to do by hand when the engine cannot download its model (offline, proxy, checksum), and the no-download route. */
export function manualSteps(name: string, target: string, url: string, reason: string): string {
  return [
    `cannot download the Vosk model ${name}: ${reason}`,
    ...installSteps(name, target, url),
    'model.autoDownload: false turns this download off.',
    TINY_MODEL_ROUTE,
  ].join('\n');
}
