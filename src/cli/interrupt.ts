/**
 * Ctrl-C for a command that can end cleanly: the first SIGINT/SIGTERM asks it to finish (`onFirst`),
 * a second one exits at once. Exit codes follow the shell convention (128 + signal number).
 */
export class Interrupt {
  signal: NodeJS.Signals | undefined;
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.signal) process.exit(this.exitCode);
    this.signal = signal;
    this.onFirst(signal);
  };

  constructor(private readonly onFirst: (signal: NodeJS.Signals) => void) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  get exitCode(): number {
    return this.signal === 'SIGTERM' ? 143 : 130;
  }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}
