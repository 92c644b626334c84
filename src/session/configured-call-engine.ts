import { createAnalyticsFactory } from '../analytics/call-analytics.js';
import { TranscriptRedactor } from '../analytics/redaction.js';
import type { RuleStore } from '../analytics/rules/loader.js';
import { readModelInfo } from '../asr/model-info.js';
import type { AsrEngine } from '../asr/types.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { CallPublisher } from '../publish/redis-publisher.js';
import { CallEngine } from './call-engine.js';

export interface ConfiguredCallEngineDeps {
  config: Config;
  asr: AsrEngine;
  publisher: CallPublisher;
  metrics: EngineMetrics;
  log: Logger;
  /** Each call takes the rules in force when it starts. */
  rules: Pick<RuleStore, 'current'>;
  /** Wall clock of the calls (simulations run an accelerated one). */
  now?: () => Date;
}

/** The call engine with the configured analytics and redaction: the same for the service and `voc replay`. */
export function createConfiguredCallEngine(deps: ConfiguredCallEngineDeps): CallEngine {
  const { config, rules } = deps;
  return new CallEngine({
    config,
    asr: deps.asr,
    publisher: deps.publisher,
    metrics: deps.metrics,
    log: deps.log,
    analyticsForCall: createAnalyticsFactory({ keywords: config.keywords, analytics: config.analytics, rules: () => rules.current() }),
    redactorForCall: () => new TranscriptRedactor(config.analytics.redaction),
    modelInfo: readModelInfo(config.model.path),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
