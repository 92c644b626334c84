import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from '../io.js';

/**
 * The replay progress bar (stderr) and the event lines (stdout) sharing one terminal: before a line
 * is printed the bar's line is cleared, and the bar is drawn again under it.
 */
export class ReplayProgress {
  private readonly bar: SingleBar | undefined;
  private readonly tty: boolean;
  private doneMs = 0;
  private file = '';
  private readonly startedAt = Date.now();

  constructor(
    private readonly io: CliIo,
    private readonly totalMs: number,
    enabled: boolean,
  ) {
    this.tty = io.stderr.isTTY === true;
    if (!enabled) return;
    this.bar = new SingleBar(
      {
        stream: io.stderr,
        format: '{file} |{bar}| {percentage}% | {doneS}/{totalS} s of audio | {speed}x real time | ETA {eta_formatted}',
        hideCursor: this.tty,
        noTTYOutput: !this.tty, // asked for explicitly on a pipe: a line every few seconds
        notTTYSchedule: 1000,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    this.bar.start(Math.max(1, Math.round(totalMs)), 0, this.payload());
  }

  startFile(name: string): void {
    this.file = name;
    this.bar?.update(Math.round(this.doneMs), this.payload());
  }

  /** `ms` more audio handed to the engine. */
  advance(ms: number): void {
    this.doneMs += ms;
    this.bar?.update(Math.round(this.doneMs), this.payload());
  }

  /** One event line on stdout, without tearing the bar. */
  line(text: string): void {
    if (this.bar && this.tty) this.io.stderr.write('\r\x1b[2K');
    this.io.out(text);
    if (this.bar && this.tty) this.bar.render();
  }

  stop(): void {
    // cli-progress restores the cursor to where the bar started; lines were printed since, so save here.
    if (this.bar && this.tty) this.io.stderr.write('\x1b7');
    this.bar?.stop();
  }

  private payload(): Record<string, string> {
    const elapsedS = (Date.now() - this.startedAt) / 1000;
    return {
      file: this.file,
      doneS: (this.doneMs / 1000).toFixed(1),
      totalS: (this.totalMs / 1000).toFixed(1),
      speed: elapsedS > 0 ? (this.doneMs / 1000 / elapsedS).toFixed(1) : '-',
    };
  }
}
