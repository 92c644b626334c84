import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { TEST_REDIS_URL, uniquePrefix } from './redis.js';

export interface TestService {
  service: RunningService;
  config: Config;
  prefix: string;
  modelDir: string;
  httpUrl: string;
  wsUrl: (path: string) => string;
  close(): Promise<void>;
}

/** Writes the tiny tone-word model to a fresh temp dir (milliseconds). */
export function tinyModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voc-tiny-model-'));
  generateTinyModel(dir);
  return dir;
}

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** Config sections to override (validated like a config file, so defaults fill the rest). */
export type Overrides = DeepPartial<Config>;

/** Starts the real service (real libvosk on the tiny model, real Redis, ports 0) with a unique key prefix. */
export async function startTestService(label: string, overrides: Overrides = {}): Promise<TestService> {
  const modelDir = tinyModelDir();
  const prefix = uniquePrefix(label);
  // Summaries a failing Redis did not take go to a spool of this service's own (removed at close).
  const spoolDir = mkdtempSync(join(tmpdir(), 'voc-spool-'));
  const raw: Record<string, unknown> = {
    server: { port: 0, host: '127.0.0.1' },
    grpc: { port: 0, host: '127.0.0.1' },
    redis: { url: TEST_REDIS_URL, prefix, spool: { dir: spoolDir } },
    model: { path: modelDir, autoDownload: false },
    asr: { workers: 2, maxQueueMs: 120_000 },
    logging: { level: 'silent' },
  };
  for (const [section, value] of Object.entries(overrides)) {
    const base = raw[section];
    raw[section] = Array.isArray(value) || typeof base !== 'object' ? value : { ...(base as object), ...(value as object) };
  }
  const config = validateConfig(raw);
  const service = await startService(config, { log: createLogger(config.logging.level) });
  const httpUrl = `http://127.0.0.1:${service.httpPort}`;
  return {
    service,
    config,
    prefix,
    modelDir,
    httpUrl,
    wsUrl: (path) => `ws://127.0.0.1:${service.httpPort}${path}`,
    close: async () => {
      await service.close();
      rmSync(modelDir, { recursive: true, force: true });
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}
