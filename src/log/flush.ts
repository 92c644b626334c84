import type { Logger } from './logger.js';

/** Resolves when the logger's buffered lines are written (pino writes asynchronously); call before exiting. */
export function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      log.flush(() => resolve());
    } catch {
      resolve(); // a destination without flush (sync streams) has nothing buffered
    }
  });
}
