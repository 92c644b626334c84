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
  'cross-validate'?: number;
  grid: string;
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
        .option('cross-validate', {
          type: 'number',
          describe:
            'Instead: the threshold search with speakers held out in K folds (search the grid on the other speakers, score on the held-out ones; pooled held-out table)',
        })
        .option('grid', {
          choices: ['full', 'quick'],
          default: 'full',
          describe: 'With --cross-validate: the full grid (729 settings) or a quick one (64, the first two values of each option)',
        })
        .check((a) => {
          if (!Number.isInteger(a.seed) || a.seed < 0) throw new UsageError('--seed must be a whole number >= 0');
          const k = a['cross-validate'];
          if (k !== undefined && (!Number.isInteger(k) || k < 2)) throw new UsageError('--cross-validate must be a whole number of folds >= 2');
          return true;
        })
        .example('$0 eval tone ../shared/data/ravdess-dev', 'the table for a RAVDESS copy')
        .example('$0 eval tone my-set --json > tone.json', 'every number and file outcome as JSON')
        .example('$0 eval tone ../shared/data/ravdess-dev --cross-validate 6', 'the threshold search, 6 folds of speakers held out'),
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
      const progress = (label: string, done: number, total: number): void => {
        if (process.stderr.isTTY) process.stderr.write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
      };
      const folds = args['cross-validate'];
      if (folds !== undefined) {
        if (folds > dataset.speakers.length) throw new UsageError(`--cross-validate ${folds}: the set has ${dataset.speakers.length} speakers (one at least per fold)`);
        const { crossValidateTone, DEFAULT_GRID, QUICK_GRID } = await import('../eval/tone/cross-validate.js');
        const { formatCrossValidation } = await import('../eval/tone/cv-report.js');
        const { measures } = config.analytics;
        const cv = await crossValidateTone(dataset, measures.frames, measures.raisedTone, {
          folds,
          grid: args.grid === 'quick' ? QUICK_GRID : DEFAULT_GRID,
          layout: { ...DEFAULT_LAYOUT, seed: args.seed },
          formats: args.formats as (typeof FORMATS)[number][],
          onProgress: (stage, done, total) => progress(stage === 'features' ? 'frame features of call' : 'grid setting', done, total),
        });
        if (args.json) io.out(JSON.stringify(cv, null, 2));
        else for (const line of formatCrossValidation(cv)) io.out(line);
        return;
      }
      const report = await runToneEval(config, dataset, {
        layout: { ...DEFAULT_LAYOUT, seed: args.seed },
        formats: args.formats as (typeof FORMATS)[number][],
        logLevel: args['log-level'] as (typeof LOG_LEVELS)[number],
        onCall: (done, total) => progress('call', done, total),
      });
      if (args.json) io.out(JSON.stringify(report, null, 2));
      else for (const line of formatToneReport(report)) io.out(line);
    },
  };
}

interface RulesArgs {
  dir: string;
  labels?: string;
  rules?: string[];
  parties?: string[];
  json: boolean;
  'min-f1'?: number;
  out?: string;
  language: string;
  'log-level': string;
  config?: string;
}

/** `voc eval rules <dir>`: categories, drivers and scorecard checks measured on a labelled set of calls. */
function rulesCommand(io: CliIo): CommandModule<object, RulesArgs> {
  return {
    command: 'rules <dir>',
    describe: 'Measure categories, drivers and scorecard checks on labelled calls (transcript files and/or recordings + labels.csv|json): TP/FP/FN, precision, recall, F1, each false positive with its evidence and each miss',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Directory of calls (.jsonl/.ndjson/.csv/.tsv transcripts, .wav recordings) and their labels (docs/eval.md)' })
        .option('labels', { type: 'string', describe: 'Labels file (.csv or .json; default: <dir>/labels.csv or <dir>/labels.json)' })
        .option('rules', { type: 'string', array: true, describe: 'Rule files to measure (default: analytics.rulesFiles of the config)' })
        .option('parties', {
          type: 'string',
          describe: 'Recordings: party of each channel, comma-separated (default: mono "customer", stereo "customer,agent")',
          coerce: (value: string) => value.split(',').map((p) => p.trim()),
        })
        .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' })
        .option('min-f1', { type: 'number', describe: 'Exit 1 when a category, driver or check has an F1 below this (0..1)' })
        .option('out', { type: 'string', describe: "Keep each call's summary as <out>/<callId>.summary.json (default: not kept)" })
        .option('language', { type: 'string', default: 'en', describe: 'Language tag of the calls' })
        .option('log-level', { choices: LOG_LEVELS, default: 'error', describe: 'Engine log level (logs go to stderr)' })
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml); its analytics settings are used' })
        .check((a) => {
          const min = a['min-f1'];
          if (min !== undefined && !(Number.isFinite(min) && min >= 0 && min <= 1)) throw new UsageError('--min-f1 must be a number from 0 to 1');
          if (a.parties?.some((p) => p.length === 0)) throw new UsageError('--parties: empty party name');
          return true;
        })
        .example('$0 eval rules tests/fixtures/eval-banking --rules tests/fixtures/eval-banking/rules.yaml', 'the example set of docs/eval.md')
        .example('$0 eval rules my-set --min-f1 0.8 --json > eval.json', 'in CI: fail when a rule falls below 0.8'),
    handler: async (args) => {
      const { config } = loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env);
      const { runRulesEval } = await import('../eval/rules/run.js');
      const { formatRulesReport, belowMinF1 } = await import('../eval/rules/report.js');
      const minF1 = args['min-f1'];
      const report = await runRulesEval(config, {
        dir: args.dir,
        labels: args.labels,
        rules: args.rules,
        parties: args.parties,
        language: args.language,
        logLevel: args['log-level'] as (typeof LOG_LEVELS)[number],
        out: args.out,
        onCall: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rcall ${done}/${total}${done === total ? '\n' : ''}`);
        },
      });
      const below = minF1 === undefined ? [] : belowMinF1(report, minF1);
      if (args.json) io.out(JSON.stringify({ ...report, minF1: minF1 ?? null, belowMinF1: below.map((s) => ({ kind: s.kind, name: s.name, f1: s.f1 })) }, null, 2));
      else for (const line of formatRulesReport(report, minF1)) io.out(line);
      if (below.length > 0) {
        throw new CliError(EXIT.failure, `${below.length} below --min-f1 ${minF1}: ${below.map((s) => `${s.kind} ${s.name} (F1 ${(s.f1 ?? 0).toFixed(2)})`).join(', ')}`);
      }
    },
  };
}

/** `voc eval <kind>`: measurements of the engine's detectors on labelled data. */
export function evalCommand(io: CliIo): CommandModule {
  return {
    command: 'eval',
    describe: 'Measure detectors on labelled data',
    builder: (y: Argv) => y.command(toneCommand(io)).command(rulesCommand(io)).demandCommand(1, 'name an eval command: tone or rules'),
    handler: () => {},
  };
}
