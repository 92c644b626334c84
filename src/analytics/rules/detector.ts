import { concat, defer, EMPTY, map, merge, type Observable } from 'rxjs';
import { samplesToMs } from '../../audio/format.js';
import { expandSync } from '../expand-sync.js';
import type { AnalyticsOptions } from '../options.js';
import type { CallStreams, DetectorOutput, MeasureEvent } from '../types.js';
import type { RuleSetSnapshot } from './compile.js';
import { CallRuleEngine } from './evaluate.js';

/** What the rules read: the call's streams plus the measures other detectors produce. */
export interface RuleStreams extends CallStreams {
  measures$?: Observable<MeasureEvent>;
}

type Input =
  | { kind: 'transcript'; value: Parameters<CallRuleEngine['onTranscript']>[0] }
  | { kind: 'measure'; value: MeasureEvent }
  | { kind: 'audio'; ms: number }
  | { kind: 'duration'; ms: number };

/**
 * Categories and the scorecard for one call, over a fixed rule snapshot (see CallRuleEngine for the
 * real-time semantics). Emits category/compliance alerts, withdrawals and tags live, then the
 * 'categories' and 'scorecard' summary sections once every input stream has completed.
 */
export function createRulesDetector(
  rules: RuleSetSnapshot,
  options: Pick<AnalyticsOptions, 'rules' | 'scorecard'>,
): (streams: RuleStreams) => Observable<DetectorOutput> {
  return (streams) =>
    // Per-call state inside defer; handler errors become error notifications, never uncaught throws.
    defer(() => {
      const engine = new CallRuleEngine(rules, options.rules, options.scorecard);
      let durationMs: number | undefined;
      const text = streams.input === 'text';
      const inputs$ = merge(
        streams.transcripts$.pipe(map((value): Input => ({ kind: 'transcript', value }))),
        (streams.measures$ ?? EMPTY).pipe(map((value): Input => ({ kind: 'measure', value }))),
        streams.audio$.pipe(map((pcm): Input => ({ kind: 'audio', ms: samplesToMs(pcm.startSample + pcm.samples.length, pcm.sampleRate) }))),
        (streams.durationMs$ ?? EMPTY).pipe(map((ms): Input => ({ kind: 'duration', ms }))),
      );
      const handle = (input: Input): DetectorOutput[] => {
        switch (input.kind) {
          case 'transcript':
            return text ? engine.onTextTranscript(input.value) : engine.onTranscript(input.value);
          case 'measure':
            return engine.onMeasure(input.value);
          case 'audio':
            return engine.onAudioTime(input.ms);
          case 'duration':
            durationMs = input.ms;
            return [];
        }
      };
      return concat(inputs$.pipe(expandSync(handle)), defer(() => engine.end(durationMs)));
    });
}
