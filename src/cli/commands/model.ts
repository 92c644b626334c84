import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { MODEL_CATALOG, MODEL_NAME_PATTERN, modelUrl } from '../../asr/model-catalog.js';
import { loadCliConfig } from '../config.js';
import { CliError, EXIT, messageWithCauses, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

interface DownloadArgs {
  name?: string;
  dir?: string;
  sha256?: string;
  url?: string;
  force: boolean;
  progress: boolean;
  config?: string;
}

interface ListArgs {
  config?: string;
}

/** `voc model list` / `voc model download [name]`: the official Vosk models and installing one. */
export function modelCommand(io: CliIo): CommandModule {
  const list: CommandModule<object, ListArgs> = {
    command: 'list',
    describe: 'List the official Vosk models this engine knows, and which are installed',
    builder: (y) => y.option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml)' }),
    handler: (args) => {
      const { config } = loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env);
      const modelsDir = dirname(resolve(config.model.path));
      const rows = MODEL_CATALOG.map((m) => {
        const installed = existsSync(join(modelsDir, m.name)) || (config.model.name === m.name && existsSync(resolve(config.model.path)));
        const marks = [config.model.name === m.name ? 'configured' : '', installed ? 'installed' : ''].filter(Boolean).join(', ');
        return [m.name, m.language, `${m.sizeMb} MB`, `${m.sampleRate / 1000} kHz`, marks, m.notes];
      });
      const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c]!.length), 4));
      for (const r of rows) io.out(r.map((cell, c) => (c < 5 ? cell.padEnd(widths[c]!) : cell)).join('  '));
      io.err(`models directory: ${modelsDir} (from model.path); install one with: voc model download <name>`);
    },
  };

  const download: CommandModule<object, DownloadArgs> = {
    command: 'download [name]',
    describe: 'Download an official Vosk model, check its SHA-256 and unpack it into the models directory',
    builder: (y) =>
      y
        .positional('name', { type: 'string', describe: 'Model name (default: model.name of the config); see `voc model list`' })
        .option('dir', { type: 'string', describe: 'Parent directory (default: the directory of model.path)' })
        .option('sha256', { type: 'string', describe: 'Expected SHA-256 of the archive (default: model.sha256 when downloading the configured model)' })
        .option('url', { type: 'string', describe: 'Download from this URL (a mirror; default: model.url for the configured model, else the official URL)' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace a model that is already installed and valid' })
        .option('progress', { type: 'boolean', default: process.stderr.isTTY === true, describe: 'Progress bar on stderr (default: when stderr is a terminal)' })
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml)' })
        .check((a) => {
          if (a.name !== undefined && !MODEL_NAME_PATTERN.test(a.name)) throw new UsageError(`"${a.name}" is not a Vosk model name (like vosk-model-small-en-us-0.15); see \`voc model list\``);
          if (a.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(a.sha256)) throw new UsageError('--sha256 must be 64 hex characters');
          return true;
        })
        .example('$0 model download vosk-model-small-en-us-0.15', 'into the directory of model.path'),
    handler: async (args) => {
      const { config } = loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env);
      const name = args.name ?? config.model.name;
      if (!name) throw new UsageError('name a model (see `voc model list`), or set model.name in the config');
      const expected = (args.sha256 ?? (name === config.model.name ? config.model.sha256 : undefined))?.toLowerCase();
      const destDir = resolve(args.dir ?? dirname(resolve(config.model.path)));
      const { installModel } = await import('../model-install.js');
      const { DownloadError, ModelError, installSteps, TINY_MODEL_ROUTE } = await import('../../asr/errors.js');
      const url = args.url ?? (name === config.model.name ? config.model.url : undefined);
      try {
        const result = await installModel({ name, destDir, expectedSha256: expected, url, force: args.force, progress: args.progress }, io);
        if (!result.downloaded) {
          io.out(`${name} is already installed at ${result.modelDir} (use --force to download it again)`);
          return;
        }
        io.out(`installed ${name} at ${result.modelDir} (${(result.bytes / 1e6).toFixed(1)} MB archive, ${result.info.sampleRate / 1000} kHz)`);
        io.out(`sha256 ${result.sha256}${expected ? ' (matches the expected checksum)' : ''}`);
        if (!expected) io.err(`pin it in the config to check future downloads:  model.sha256: ${result.sha256}`);
        if (resolve(config.model.path) !== result.modelDir) io.err(`to use it: VOC_MODEL_PATH=${result.modelDir} (or model.path in the config)`);
      } catch (err) {
        // Offline, behind a proxy, a bad mirror: the same by-hand steps as serve's, and the no-download route.
        if (err instanceof DownloadError || err instanceof ModelError)
          throw new CliError(EXIT.model, [messageWithCauses(err), ...installSteps(name, join(destDir, name), url ?? modelUrl(name)), TINY_MODEL_ROUTE].join('\n'));
        throw err;
      }
    },
  };

  return {
    command: 'model',
    describe: 'List and download Vosk speech models',
    builder: (y: Argv) => y.command(list).command(download).demandCommand(1, 'name a model command: list or download'),
    handler: () => {},
  };
}
