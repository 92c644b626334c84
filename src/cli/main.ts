#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { processIo } from './io.js';
import { runCli } from './program.js';

// The `voc` executable. Each command returns its exit code; stdout and stderr are drained before
// exiting so piped output is never cut off.
// A reader that goes away (`voc replay x.wav | head`) ends the command like SIGPIPE ends Unix tools;
// without a listener the EPIPE would be thrown from whatever callback wrote last (even a native one).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});
process.stderr.on('error', () => {}); // nowhere left to report it

const code = await runCli(hideBin(process.argv), processIo());
await Promise.all([drain(process.stdout), drain(process.stderr)]);
process.exit(code);

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writableNeedDrain) return resolve();
    stream.once('drain', () => resolve());
  });
}
