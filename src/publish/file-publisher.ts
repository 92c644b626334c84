import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallSummary } from '../events/schema.js';
import type { Logger } from '../log/logger.js';
import type { CallPublisher } from './redis-publisher.js';

/** Where a call's summary goes in an output directory. */
export function summaryFile(outDir: string, callId: string): string {
  return join(outDir, `${callId}.summary.json`);
}

/**
 * The output side without Redis (`voc replay`): each call's summary is written to
 * `<outDir>/<callId>.summary.json` (alerts and tags are part of the summary). Live-only output
 * (alert stream, pub/sub) has no file equivalent, so those calls write nothing.
 * Failures are logged and remembered, never thrown, like every CallPublisher.
 */
export class FileCallPublisher implements CallPublisher {
  readonly failures: Array<{ callId: string; error: string }> = [];

  constructor(
    private readonly outDir: string,
    private readonly log: Logger,
  ) {}

  async callStarted(): Promise<void> {}
  async alert(): Promise<void> {}
  async alertWithdrawn(): Promise<void> {}
  async transcript(): Promise<void> {}
  async tags(): Promise<void> {}
  async driver(): Promise<void> {}

  async callEnded(summary: CallSummary): Promise<void> {
    const file = summaryFile(this.outDir, summary.callId);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(this.outDir, { recursive: true });
      // Write then rename: a reader never sees a half-written summary.
      await writeFile(temp, `${JSON.stringify(summary, null, 2)}\n`);
      await rename(temp, file);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.failures.push({ callId: summary.callId, error });
      this.log.error({ callId: summary.callId, file, err: error }, 'summary file write failed');
    }
  }
}

/** Sends every write to several publishers (e.g. a summary file and Redis); each handles its own failures. */
export class FanOutPublisher implements CallPublisher {
  constructor(private readonly targets: readonly CallPublisher[]) {}

  async callStarted(...args: Parameters<CallPublisher['callStarted']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.callStarted(...args)));
  }
  async alert(...args: Parameters<CallPublisher['alert']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.alert(...args)));
  }
  async alertWithdrawn(...args: Parameters<CallPublisher['alertWithdrawn']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.alertWithdrawn(...args)));
  }
  async transcript(...args: Parameters<CallPublisher['transcript']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.transcript(...args)));
  }
  async tags(...args: Parameters<CallPublisher['tags']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.tags(...args)));
  }
  async driver(...args: Parameters<CallPublisher['driver']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.driver(...args)));
  }
  async callEnded(...args: Parameters<CallPublisher['callEnded']>): Promise<void> {
    await Promise.all(this.targets.map((t) => t.callEnded(...args)));
  }
}
