import { catchError, concat, connectable, defer, EMPTY, filter, map, merge, Observable, of, Subject } from 'rxjs';
import type { KeywordCategory } from '../config/schema.js';
import { createKeywordDetector } from './keywords.js';
import type { AnalyticsOptions } from './options.js';
import type { CompiledScorecard, RuleSetSnapshot } from './rules/compile.js';
import { createRulesDetector } from './rules/detector.js';
import type { CallStreams, Detector, DetectorOutput, MeasureEvent } from './types.js';

export interface CallAnalyticsDeps {
  keywords: readonly KeywordCategory[];
  /** The rule snapshot the call took at its start (RuleStore.current()). */
  rules: RuleSetSnapshot;
  /** Overrides the snapshot's scorecard (e.g. a per-tenant one). */
  scorecard?: CompiledScorecard;
  /** Acoustic/conversational detectors; their 'measure' outputs feed the rules. */
  measureDetectors: readonly Detector[];
  options: AnalyticsOptions;
}

/** Summary section 'errors': detectors that failed during this call. */
export interface DetectorFailure {
  detector: string;
  message: string;
}

/**
 * All analytics of one call as one detector: the measure detectors (shared, so each runs once), the
 * keyword detector, and the rules/scorecard fed with the measures. A detector that throws or errors
 * stops alone: the others go on, and the failure is listed in the summary section 'errors' (the
 * caller counts it, e.g. voc_analytics_errors_total).
 */
export function createCallAnalytics(deps: CallAnalyticsDeps): Detector {
  const keywordDetector = createKeywordDetector(deps.keywords, deps.options.keywords);
  const rules = deps.scorecard ? { ...deps.rules, scorecard: deps.scorecard } : deps.rules;
  const rulesDetector = createRulesDetector(rules, deps.options);

  return (streams: CallStreams) =>
    new Observable<DetectorOutput>((subscriber) => {
      const failures: DetectorFailure[] = [];
      const isolate = (name: string, run: () => Observable<DetectorOutput>): Observable<DetectorOutput> =>
        defer(run).pipe(
          catchError((err: unknown) => {
            failures.push({ detector: name, message: err instanceof Error ? err.message : String(err) });
            return EMPTY;
          }),
        );

      // Connected only after every consumer subscribed, so no measure is lost to a late subscriber.
      // A measure detector reports a failed part as an 'errors' section: it joins this call's failures.
      const keepFailures = (o: DetectorOutput): boolean => {
        if (o.kind !== 'summary' || o.section !== 'errors' || !Array.isArray(o.value)) return true;
        failures.push(...(o.value as DetectorFailure[]));
        return false;
      };
      const measureOutputs = connectable(
        merge(...deps.measureDetectors.map((d, i) => isolate(d.name || `measure[${i}]`, () => d(streams)))).pipe(filter(keepFailures)),
        { connector: () => new Subject<DetectorOutput>(), resetOnDisconnect: false },
      );
      const measures$ = measureOutputs.pipe(
        filter((o): o is Extract<DetectorOutput, { kind: 'measure' }> => o.kind === 'measure'),
        map((o): MeasureEvent => o.measure),
      );
      const all$ = concat(
        merge(
          measureOutputs,
          isolate('keywords', () => keywordDetector(streams)),
          isolate('rules', () => rulesDetector({ ...streams, measures$ })),
        ),
        defer(() => (failures.length > 0 ? of<DetectorOutput>({ kind: 'summary', section: 'errors', value: failures }) : EMPTY)),
      );
      const subscription = all$.subscribe(subscriber);
      subscription.add(measureOutputs.connect());
      return subscription;
    });
}
