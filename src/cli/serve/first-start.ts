import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DownloadError, ModelError } from '../../asr/errors.js';
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

/** What to do by hand when the engine cannot download its model (offline, proxy, checksum). */
export function manualSteps(name: string, target: string, url: string, reason: string): string {
  const parent = dirname(target);
  const unpacked = join(parent, name);
  return [
    `cannot download the Vosk model ${name}: ${reason}`,
    'Install it by hand:',
    `  1. download ${url} (on any machine with internet access)`,
    `  2. unzip it into ${parent}:  mkdir -p ${parent} && unzip ${name}.zip -d ${parent}`,
    ...(unpacked === target ? [] : [`  3. rename it to the configured path:  mv ${unpacked} ${target}`]),
    `  ${unpacked === target ? 3 : 4}. check that ${target} holds am/, conf/ and graph/ (or final.mdl), then start again`,
    `Or put the unpacked model anywhere and point the engine at it: VOC_MODEL_PATH=/path/to/${name} (model.path in the config).`,
    'model.autoDownload: false turns this download off.',
  ].join('\n');
}
