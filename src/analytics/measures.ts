/**
 * All acoustic and conversational measures of a call as one detector, sharing the work: frame
 * features are computed once per party for raised tone and talk activity, and the emotion curve
 * reuses the sentiment and raised-tone measures. Sections: 'raisedTone', 'talk', 'sentiment',
 * 'emotionCurve' (each only when enabled). A measure that fails stops alone: the others go on (the
 * emotion curve without the raised-tone input if that one failed), and the failure is reported as
 * an 'errors' summary output, which the call analytics merge into the call's 'errors' section.
 * A text call has no audio: raised tone, silence, overtalk and talk time are reported as not
 * available (text-measures.ts).
 * When the call's streams carry `acoustic` (raised tone and talk activity computed where the audio is
 * decoded: the call's ASR worker thread), those outputs are used and audio$ is not analysed here.
 */
import { EMPTY, Observable, Subject, catchError, connectable, map, merge, of, type Connectable } from 'rxjs';
import { frameStartMs, type FrameBatch } from '../audio/features/frame-analyzer.js';
import { partyFrames } from '../audio/features/party-frames.js';
import type { TranscriptEvent } from '../events/schema.js';
import { emotionCurveFrom } from './emotion-curve.js';
import type { MeasuresOptions } from './measures-options.js';
import { raisedToneFromFrames } from './raised-tone.js';
import { sentimentFrom } from './sentiment.js';
import { talkActivityFromFrames, talkFrom } from './talk-activity.js';
import { raisedToneNotAvailable, textTalkFrom } from './text-measures.js';
import type { CallStreams, Detector, DetectorOutput } from './types.js';

/** One measure's stream that ends, reporting its failure, instead of erroring the whole detector. */
function isolated(name: string, source: Observable<DetectorOutput>): Observable<DetectorOutput> {
  return source.pipe(
    catchError((err: unknown) => of<DetectorOutput>({ kind: 'summary', section: 'errors', value: [{ detector: name, message: err instanceof Error ? err.message : String(err) }] })),
  );
}

/** A shared input for a dependent measure: its failure is reported by its own measure, here it just ends. */
function quiet<T>(source: Observable<T>): Observable<T> {
  return source.pipe(catchError(() => EMPTY));
}

function hot<T>(source: Observable<T>): Connectable<T> {
  return connectable(source, { connector: () => new Subject<T>(), resetOnDisconnect: false });
}

export function measuresDetector(options: MeasuresOptions): Detector {
  return (streams: CallStreams) =>
    new Observable<DetectorOutput>((subscriber) => {
      // Every consumer subscribes before the shared inputs are connected, so cold sources
      // (arrays in tests, replays) reach all of them.
      const { acoustic } = streams;
      const frames$ = hot<FrameBatch>(acoustic ? EMPTY : partyFrames(streams.audio$, options.frames));
      const transcripts$ = hot<TranscriptEvent>(streams.transcripts$);
      const text = streams.input === 'text';
      const raisedFromAudio = (): Observable<DetectorOutput> => (acoustic ? acoustic.raisedTone$ : raisedToneFromFrames(frames$, options.raisedTone));
      const raised$ = hot<DetectorOutput>(!options.raisedTone.enabled ? EMPTY : text ? raisedToneNotAvailable() : raisedFromAudio());
      const sentiment$ = hot<DetectorOutput>(
        options.sentiment.enabled ? sentimentFrom(transcripts$, streams.language, options.sentiment) : EMPTY,
      );
      const talk$ = text
        ? textTalkFrom(transcripts$, streams.parties, options.talkSpeed, streams.durationMs$)
        : talkFrom(acoustic ? acoustic.talkActivity$ : talkActivityFromFrames(frames$, streams.parties, options), transcripts$, streams.parties, options, streams.durationMs$);
      // Without local frames the curve's end comes from durationMs$ (the session's, never before the last frame).
      const frameEnd$ = frames$.pipe(map((b) => frameStartMs(b.firstFrame + b.count, b.hopSamples, b.sampleRate)));
      const transcriptEnd$ = transcripts$.pipe(map((t) => t.endMs));
      const curve$ = options.emotionCurve.enabled
        ? emotionCurveFrom(
            merge(quiet(raised$), quiet(sentiment$)),
            merge(quiet(frameEnd$), quiet(transcriptEnd$), streams.durationMs$ ?? EMPTY),
            streams.parties,
            options.emotionCurve,
          )
        : EMPTY;
      const subscription = merge(
        isolated('raisedTone', raised$),
        isolated('sentiment', sentiment$),
        isolated('talk', talk$),
        isolated('emotionCurve', curve$),
      ).subscribe(subscriber);
      subscription.add(raised$.connect());
      subscription.add(sentiment$.connect());
      subscription.add(transcripts$.connect());
      subscription.add(frames$.connect());
      return subscription;
    });
}
