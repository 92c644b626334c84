import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/**
 * Structured JSON logs. Messages are static strings; variable data goes in fields. Call-related lines
 * carry `callId` and `protocol` (use `callLogger`). Transcript text is personal data: log it only at
 * debug level, under the `pii` field.
 */
export type Logger = PinoLogger;

export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'voc-engine' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['pii', '*.pii'], censor: '[pii]' },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export function callLogger(log: Logger, callId: string, protocol: string): Logger {
  return log.child({ callId, protocol });
}
