import { Presets, SingleBar } from 'cli-progress';
import { downloadModel, type DownloadResult } from '../asr/model-download.js';
import type { CliIo } from './io.js';

export interface InstallOptions {
  name: string;
  /** The model ends up in `<destDir>/<name>`. */
  destDir: string;
  expectedSha256: string | undefined;
  url?: string;
  force?: boolean;
  /** Progress bar on stderr. */
  progress: boolean;
}

/** downloadModel (src/asr/model-download.ts) with a progress bar in MB on stderr. */
export async function installModel(options: InstallOptions, io: CliIo): Promise<DownloadResult> {
  let bar: SingleBar | undefined;
  const tty = io.stderr.isTTY === true;
  try {
    return await downloadModel({
      name: options.name,
      destDir: options.destDir,
      expectedSha256: options.expectedSha256,
      ...(options.url ? { url: options.url } : {}),
      force: options.force ?? false,
      onProgress: (bytes, total) => {
        if (!options.progress) return;
        const mb = bytes / 1e6;
        if (!bar) {
          bar = new SingleBar(
            {
              stream: io.stderr,
              format: total ? `${options.name} |{bar}| {percentage}% | {value}/{total} MB | ETA {eta_formatted}` : `${options.name} | {value} MB`,
              hideCursor: tty,
              noTTYOutput: !tty,
              notTTYSchedule: 2000,
            },
            Presets.shades_classic,
          );
          bar.start(total ? Math.round(total / 1e6) : 0, 0);
        }
        bar.update(Math.round(mb));
      },
    });
  } finally {
    bar?.stop();
  }
}
