import { constants } from 'node:os';

/**
 * Shutdown requests for a long-running command: the first SIGTERM/SIGINT asks for a graceful
 * shutdown (`requested` resolves with its name); a second one calls `onSecond` (exit at once).
 */
export class ShutdownSignals {
  readonly requested: Promise<string>;
  private resolveRequested!: (reason: string) => void;
  private first: string | undefined;
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.first) return this.onSecond(signal, 128 + (constants.signals[signal] ?? 0));
    this.request(signal);
  };

  constructor(private readonly onSecond: (signal: NodeJS.Signals, exitCode: number) => void) {
    this.requested = new Promise((resolve) => (this.resolveRequested = resolve));
    process.on('SIGTERM', this.handler);
    process.on('SIGINT', this.handler);
  }

  /** Ask for a graceful shutdown from code (e.g. the parent process went away). */
  request(reason: string): void {
    if (this.first) return;
    this.first = reason;
    this.resolveRequested(reason);
  }

  dispose(): void {
    process.off('SIGTERM', this.handler);
    process.off('SIGINT', this.handler);
  }
}
