/**
 * Where a command's output goes: results on stdout (pipeable), messages for people on stderr.
 * Commands take it as a parameter so nothing writes to the console behind the caller's back.
 */
export interface CliIo {
  /** One line of results (events, listings). */
  out(line: string): void;
  /** One line of diagnostics (problems, hints, progress text). */
  err(line: string): void;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    stdout: process.stdout,
    stderr: process.stderr,
  };
}
