import type { Argv, CommandModule } from 'yargs';
import { loggingSchema } from '../../config/schema.js';
import { loadCliConfig } from '../config.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

interface ToneArgs {
  dir: string;
  json: boolean;
  seed: number;
  formats: string[];
  'log-level': string;
  config?: string;
}

const LOG_LEVELS = loggingSchema.shape.level.unwrap().options;
const FORMATS = ['pcm16-16k', 'mulaw-8k'] as const;

/** `voc eval tone <dir>`: raised-tone detection measured per file on a labelled set of recordings. */
function toneCommand(io: CliIo): CommandModule<object, ToneArgs> {
  return {
    command: 'tone <dir>',
    describe: 'Measure raised-tone detection on a labelled set (labels.csv + WAV files): one call per speaker, calm-first and angry-first, 16 kHz PCM16 and 8 kHz mu-law',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Directory with labels.csv (filename, speaker|actor, raised_voice_label|label) and the WAV files' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON (every file outcome included)' })
        .option('seed', { type: 'number', default: 1, describe: 'Seed of the file order and pauses' })
        .option('formats', {
          type: 'string',
          array: true,
          choices: FORMATS,
          default: [...FORMATS],
          describe: 'Line formats to run',
        })
        .option('log-level', { choices: LOG_LEVELS, default: 'error', describe: 'Engine log level (logs go to stderr; the tiny recognizer warns that it does not suit speech)' })
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml); its analytics settings are used' })
        .check((a) => {
          if (!Number.isInteger(a.seed) || a.seed < 0) throw new UsageError('--seed must be a whole number >= 0');
          return true;
        })
        .example('$0 eval tone ../shared/data/ravdess-dev', 'the table for a RAVDESS copy')
        .example('$0 eval tone my-set --json > tone.json', 'every number and file outcome as JSON'),
    handler: async (args) => {
      const { config } = loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env);
      const { loadToneDataset, ToneDatasetError } = await import('../eval/tone/dataset.js');
      const { runToneEval } = await import('../eval/tone/run.js');
      const { formatToneReport } = await import('../eval/tone/report.js');
      const { DEFAULT_LAYOUT } = await import('../eval/tone/calls.js');
      let dataset;
      try {
        dataset = await loadToneDataset(args.dir);
      } catch (err) {
        if (err instanceof ToneDatasetError) throw new CliError(EXIT.failure, err.message);
        throw err;
      }
      const report = await runToneEval(config, dataset, {
        layout: { ...DEFAULT_LAYOUT, seed: args.seed },
        formats: args.formats as (typeof FORMATS)[number][],
        logLevel: args['log-level'] as (typeof LOG_LEVELS)[number],
        onCall: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rcall ${done}/${total}${done === total ? '\n' : ''}`);
        },
      });
      if (args.json) io.out(JSON.stringify(report, null, 2));
      else for (const line of formatToneReport(report)) io.out(line);
    },
  };
}

/** `voc eval <kind>`: measurements of the engine's detectors on labelled data. */
export function evalCommand(io: CliIo): CommandModule {
  return {
    command: 'eval',
    describe: 'Measure detectors on labelled data',
    builder: (y: Argv) => y.command(toneCommand(io)).demandCommand(1, 'name an eval command: tone'),
    handler: () => {},
  };
}
