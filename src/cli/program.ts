import yargs, { type Argv } from 'yargs';
import { alertsCommand } from './commands/alerts.js';
import { driversCommand } from './commands/drivers.js';
import { evalCommand } from './commands/eval.js';
import { modelCommand } from './commands/model.js';
import { replayCommand } from './commands/replay.js';
import { rulesCommand } from './commands/rules.js';
import { sampleCommand } from './commands/sample.js';
import { serveCommand } from './commands/serve.js';
import { spikesCommand } from './commands/spikes.js';
import { streamCommand } from './commands/stream.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { packageVersion } from './package-info.js';

/** The `voc` command line: one module per command in ./commands. */
export function buildProgram(argv: string[], io: CliIo): Argv {
  return yargs(argv)
    .scriptName('voc')
    .usage('$0 <command> [options]\n\nSelf-hosted real-time speech analytics for contact centers.')
    .command(serveCommand(io))
    .command(replayCommand(io))
    .command(alertsCommand(io))
    .command(modelCommand(io))
    .command(rulesCommand(io))
    .command(streamCommand(io))
    .command(sampleCommand(io))
    .command(driversCommand(io))
    .command(spikesCommand(io))
    .command(evalCommand(io))
    .demandCommand(1, 'name a command: serve, replay, alerts, model, rules, stream, sample, drivers, spikes or eval')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(`${FIRST_STEPS.join('\n')}\n\nConfiguration: config/voc.yaml, or the file named by VOC_CONFIG; see docs/operations.md.`)
    .exitProcess(false)
    .fail((message: string | null, err: Error | undefined) => {
      // Errors thrown by handlers pass through; yargs' own complaints are usage errors.
      if (err) throw err;
      throw new UsageError(message ?? 'invalid command line');
    });
}

/** Runs the CLI and returns the exit code; problems are reported on stderr, never thrown. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(argv, io).parseAsync();
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      const topic = usageTopic(argv);
      io.err(`voc: ${friendlier(err.message, topic)}`);
      // A bare `voc` is most likely a first run: say where to begin.
      if (topic === '' && argv.length === 0) for (const line of FIRST_STEPS) io.err(line);
      io.err(`Run 'voc ${topic}--help' for usage.`);
      return err.code;
    }
    if (err instanceof CliError) {
      if (err.message) io.err(`voc: ${err.message}`);
      return err.code;
    }
    io.err(`voc: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failure;
  }
}

/** Where a new user starts (bare `voc`, and the end of `voc --help`). */
const FIRST_STEPS = [
  'Getting started (three terminals):',
  '  voc serve                                    the engine; its first start downloads the speech model (~40 MB)',
  '  voc alerts                                   live alerts, as a supervisor sees them',
  '  voc sample call.wav && voc stream call.wav   a sample two-party call, streamed to the engine',
  'Offline: `npm run model:tiny -- models/tiny`, then `VOC_MODEL_PATH=models/tiny voc serve` and `voc sample --tiny call.wav`.',
  'Recordings without a server: `voc replay call.wav`.',
];

/** What a command needs when its argument is missing, said for that command (yargs only counts). */
const MISSING_ARGUMENT: Record<string, string> = {
  'replay ': 'name what to analyze: a .wav recording, a transcript file (.jsonl, .csv, .tsv) or a directory of them, e.g. `voc replay call.wav` (`voc sample call.wav` writes one)',
  'stream ': 'name the WAV file to stream to the running engine, e.g. `voc stream call.wav` (`voc sample call.wav` writes one; start the engine with `voc serve`)',
  'sample ': 'name the WAV file to write, e.g. `voc sample call.wav`',
  'rules check ': 'name the rule files to check, e.g. `voc rules check config/rules/*.yaml`',
};

function friendlier(message: string, topic: string): string {
  return message.startsWith('Not enough non-option arguments') ? (MISSING_ARGUMENT[topic] ?? message) : message;
}

/** The command words typed before the first option, for the help hint ("rules check "). */
function usageTopic(argv: string[]): string {
  const known = new Set(['serve', 'replay', 'alerts', 'model', 'rules', 'check', 'download', 'list', 'stream', 'sample', 'drivers', 'spikes', 'ack', 'resolve', 'eval', 'tone']);
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-') || !known.has(arg)) break;
    words.push(arg);
  }
  return words.map((w) => `${w} `).join('');
}
