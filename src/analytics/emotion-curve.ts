/**
 * Emotion curve: a 1-5 score for each stage of the call (opening, middle, closing by default), per
 * party and overall, the way QA analysts score calls by hand (1 very negative, 3 neutral, 5 very
 * positive).
 *
 * Stages are fractions of the call's duration (`stages[].endFraction`). An utterance belongs to the
 * stage holding its midpoint, a raised-tone episode to the stage holding its start. A stage's raw
 * value is 3 + 2 x (mean normalized sentiment, -1..1, of its utterances), minus `raisedTonePenalty`
 * per raised-tone episode (at most `maxRaisedTonePenalty`); the score is that rounded and clamped to
 * 1..5. Overall pools all parties' utterances and episodes of the stage. A stage with neither
 * utterances nor episodes has score null (nothing to judge).
 */
import { EMPTY, Observable, merge, map } from 'rxjs';
import type { EmotionCurveOptions, MeasuresOptions } from './measures-options.js';
import { raisedToneDetector } from './raised-tone.js';
import { sentimentDetector } from './sentiment.js';
import type { CallStreams, Detector, DetectorOutput } from './types.js';

export interface TimedScore {
  party?: string;
  startMs: number;
  endMs: number;
  /** Normalized sentiment, -1..1. */
  value: number;
}

export interface TimedEpisode {
  party?: string;
  startMs: number;
  endMs: number;
}

export interface EmotionStage {
  name: string;
  startMs: number;
  endMs: number;
  /** 1..5 over all parties (null: nothing said or raised in this stage). */
  score: number | null;
  /** 1..5 per party (null: the party said nothing in this stage and had no raised tone). */
  parties: Record<string, number | null>;
}

export interface EmotionCurve {
  durationMs: number;
  stages: EmotionStage[];
}

function stageScore(sentiments: readonly TimedScore[], episodes: number, options: EmotionCurveOptions): number | null {
  if (sentiments.length === 0 && episodes === 0) return null;
  const mean = sentiments.length === 0 ? 0 : sentiments.reduce((s, u) => s + u.value, 0) / sentiments.length;
  const penalty = Math.min(options.maxRaisedTonePenalty, episodes * options.raisedTonePenalty);
  return Math.min(5, Math.max(1, Math.round(3 + 2 * mean - penalty)));
}

/** The curve of a finished call. */
export function computeEmotionCurve(
  durationMs: number,
  parties: readonly string[],
  sentiments: readonly TimedScore[],
  episodes: readonly TimedEpisode[],
  options: EmotionCurveOptions,
): EmotionCurve {
  const allParties = [...new Set([...parties, ...sentiments.flatMap((s) => (s.party ? [s.party] : []))])];
  let startMs = 0;
  const stages: EmotionStage[] = options.stages.map((stage, i) => {
    const last = i === options.stages.length - 1;
    const endMs = Math.round(durationMs * stage.endFraction);
    const within = (t: number): boolean => t >= startMs && (t < endMs || (last && t <= endMs));
    const inStage = sentiments.filter((s) => within((s.startMs + s.endMs) / 2));
    const raised = episodes.filter((e) => within(e.startMs));
    const byParty: Record<string, number | null> = {};
    for (const party of allParties) {
      byParty[party] = stageScore(
        inStage.filter((s) => s.party === party),
        raised.filter((e) => e.party === party).length,
        options,
      );
    }
    const result: EmotionStage = { name: stage.name, startMs, endMs, score: stageScore(inStage, raised.length, options), parties: byParty };
    startMs = endMs;
    return result;
  });
  return { durationMs: Math.round(durationMs), stages };
}

/**
 * The 'emotionCurve' section from sentiment and raised-tone measures (`measures$`) and the call's
 * extent (`durationMs$`, any number of candidate end times in ms; the largest is the duration).
 */
export function emotionCurveFrom(
  measures$: Observable<DetectorOutput>,
  durationMs$: Observable<number>,
  parties: readonly string[],
  options: EmotionCurveOptions,
): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const sentiments: TimedScore[] = [];
    const episodes: TimedEpisode[] = [];
    let durationMs = 0;
    const inputs$ = merge(
      measures$.pipe(map((output) => ({ output }))),
      durationMs$.pipe(map((endMs) => ({ endMs }))),
    );
    return inputs$.subscribe({
      next(input) {
        if ('endMs' in input) {
          durationMs = Math.max(durationMs, input.endMs);
          return;
        }
        if (input.output.kind !== 'measure') return;
        const m = input.output.measure;
        durationMs = Math.max(durationMs, m.endMs);
        const party = m.party !== undefined ? { party: m.party } : {};
        if (m.measure === 'sentiment') sentiments.push({ ...party, startMs: m.startMs, endMs: m.endMs, value: m.value });
        else if (m.measure === 'raised_tone') episodes.push({ ...party, startMs: m.startMs, endMs: m.endMs });
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        const value = computeEmotionCurve(durationMs, parties, sentiments, episodes, options);
        subscriber.next({ kind: 'summary', section: 'emotionCurve', value });
        subscriber.complete();
      },
    });
  });
}

/**
 * Stand-alone emotion-curve detector (runs its own sentiment and raised tone; measuresDetector
 * shares them instead). Emits only the 'emotionCurve' section.
 */
export function emotionCurveDetector(options: MeasuresOptions): Detector {
  return (streams: CallStreams) => {
    const measures$ = merge(sentimentDetector(options)(streams), raisedToneDetector(options)(streams));
    const audioEnd$ = streams.audio$.pipe(map((pcm) => ((pcm.startSample + pcm.samples.length) * 1000) / pcm.sampleRate));
    return emotionCurveFrom(measures$, merge(audioEnd$, streams.durationMs$ ?? EMPTY), streams.parties, options.emotionCurve);
  };
}
