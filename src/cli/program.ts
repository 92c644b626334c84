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
    .epilogue('Configuration: config/voc.yaml, or the file named by VOC_CONFIG; see docs/operations.md.')
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
      io.err(`voc: ${err.message}`);
      io.err(`Run 'voc ${usageTopic(argv)}--help' for usage.`);
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
