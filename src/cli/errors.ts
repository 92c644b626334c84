/** Process exit codes of the `voc` CLI (documented in docs/operations.md). */
export const EXIT = {
  ok: 0,
  /** The command ran and found problems (invalid rule files, unreadable recordings, a failed download). */
  failure: 1,
  /** Invalid configuration (file, env override). */
  config: 2,
  /** The speech model is missing, broken or could not be downloaded. */
  model: 3,
  /** Redis was not reachable in time (only where a command needs it to start). */
  redis: 4,
  /** Bad command line (sysexits EX_USAGE). */
  usage: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command failed in a way the user can act on: the message is printed as is, the process exits with `code`. */
export class CliError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command-line mistake (unknown option, missing argument, bad value). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(EXIT.usage, message);
    this.name = 'UsageError';
  }
}

/** The message of an error and of its causes ("fetch failed" says little; its cause says ECONNREFUSED). */
export function messageWithCauses(err: Error): string {
  const parts = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (!parts.some((p) => p.includes(cause instanceof Error ? cause.message : ''))) parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join(': ')})`;
}
