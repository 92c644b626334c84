import type { CommandModule } from 'yargs';
import { loggingSchema } from '../../config/schema.js';
import { loadCliConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

interface ReplayArgs {
  input: string;
  parties?: string[];
  realtime?: boolean;
  speed?: number;
  rules?: string[];
  out: string;
  redis: boolean;
  json: boolean;
  partials: boolean;
  progress: boolean;
  language: string;
  'log-level': string;
  config?: string;
}

const LOG_LEVELS = loggingSchema.shape.level.unwrap().options;

/** `voc replay <file.wav|dir>`: analyze recordings through the live engine, offline. */
export function replayCommand(io: CliIo): CommandModule<object, ReplayArgs> {
  return {
    command: 'replay <input>',
    describe: 'Analyze WAV recordings or transcript files (a file or a directory) through the live engine, offline',
    builder: (y) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'A .wav or transcript file (.jsonl, .ndjson, .csv, .tsv: docs/text-input.md), or a directory of them (replayed one after the other)' })
        .option('parties', {
          type: 'string',
          describe: 'Party of each channel, comma-separated (default: mono "customer", stereo "customer,agent"; transcripts: the parties in the file)',
          coerce: (value: string) => value.split(',').map((p) => p.trim()),
        })
        .option('realtime', { type: 'boolean', describe: 'Feed audio at real time, like a live call' })
        .option('speed', { type: 'number', describe: 'Feed audio at N times real time (default: as fast as the recognizer keeps up)' })
        .option('rules', { type: 'string', array: true, describe: 'Rule files for this run (default: analytics.rulesFiles of the config)' })
        .option('out', { type: 'string', default: '.', describe: 'Directory for <callId>.summary.json' })
        .option('redis', { type: 'boolean', default: false, describe: 'Also publish alerts, tags and summaries to Redis (redis.* of the config)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print events as JSON lines' })
        .option('partials', { type: 'boolean', default: false, describe: 'Print partial transcripts too' })
        .option('progress', { type: 'boolean', default: process.stderr.isTTY === true, describe: 'Progress bar on stderr (default: when stderr is a terminal)' })
        .option('language', { type: 'string', default: 'en', describe: 'Language tag of the calls' })
        .option('log-level', { choices: LOG_LEVELS, default: 'warn', describe: 'Engine log level (logs go to stderr)' })
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml)' })
        .check((a) => {
          if (a.realtime && a.speed !== undefined) throw new UsageError('--realtime and --speed exclude each other (--realtime is --speed 1)');
          if (a.speed !== undefined && !(Number.isFinite(a.speed) && a.speed > 0)) throw new UsageError('--speed must be a number above 0');
          if (a.parties) {
            if (a.parties.some((p) => p.length === 0)) throw new UsageError('--parties: empty party name');
            if (new Set(a.parties).size !== a.parties.length) throw new UsageError('--parties: names must be distinct');
          }
          return true;
        })
        .example('$0 replay call.wav', 'analyze one recording, print events, write ./call.summary.json')
        .example('$0 replay recordings/ --out summaries --rules config/rules/*.yaml', 'a directory, with rule files')
        .example('$0 replay call.wav --realtime --redis', 'as a live call: alerts show up in `voc alerts`')
        .example('$0 replay call.jsonl', 'a transcript (JSON lines of utterances, or a party,start,end,text CSV/TSV): no model needed'),
    handler: async (args) => {
      const { config } = loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env);
      const { runReplay } = await import('../replay/run.js');
      await runReplay(
        config,
        {
          target: args.input,
          parties: args.parties,
          speed: args.realtime ? 1 : args.speed,
          rules: args.rules,
          out: args.out,
          redis: args.redis,
          json: args.json,
          partials: args.partials,
          progress: args.progress,
          language: args.language,
          logLevel: args['log-level'] as (typeof LOG_LEVELS)[number],
        },
        io,
      );
    },
  };
}
