import type { KeywordCategory } from '../config/schema.js';
import { measuresDetector } from './measures.js';
import type { AnalyticsOptions } from './options.js';
import { createCallAnalytics } from './pipeline.js';
import { EMPTY_RULE_SET, type RuleSetSnapshot } from './rules/compile.js';
import type { CallAnalytics } from './types.js';

export interface AnalyticsFactoryOptions {
  keywords: readonly KeywordCategory[];
  analytics: AnalyticsOptions;
  /** The rules in force now (a RuleStore's current()); read once per call, at its start. */
  rules: () => RuleSetSnapshot;
}

/**
 * Builds each call's analytics from the configuration and the rule snapshot in force when the call
 * starts: a rule reload changes new calls only. With `analytics.enabled: false` only the keyword
 * detector runs.
 */
export function createAnalyticsFactory(options: AnalyticsFactoryOptions): () => CallAnalytics {
  const { analytics } = options;
  return () => {
    const detector = createCallAnalytics({
      keywords: options.keywords,
      rules: analytics.enabled ? options.rules() : EMPTY_RULE_SET,
      measureDetectors: analytics.enabled ? [measuresDetector(analytics.measures)] : [],
      options: analytics,
    });
    // The measures detector reads raised tone and talk activity from CallStreams.acoustic when the session provides them.
    return analytics.enabled ? Object.assign(detector, { acoustic: analytics.measures }) : detector;
  };
}
