/**
 * The measures of a text call (input 'text'): there is no audio, so what is heard rather than said
 * is reported as not available (null, with the reason) instead of zero: raised tone, silence,
 * overtalk and talk time. Talk speed still comes from the transcripts' times.
 */
import { EMPTY, Observable, merge, map, of } from 'rxjs';
import type { TranscriptEvent } from '../events/schema.js';
import type { TalkSpeedOptions } from './measures-options.js';
import { TalkSpeedTracker } from './talk-speed.js';
import type { DetectorOutput } from './types.js';

export const NO_AUDIO_REASON = 'text input: the call has no audio';

/** Summary section 'raisedTone' of a text call. */
export interface RaisedToneNotAvailable {
  available: false;
  reason: string;
}

/** Summary section 'talk' of a text call: the fields audio would fill are null. */
export interface TextTalkSummary {
  durationMs: number;
  silence: null;
  overtalk: null;
  /** Why each null field is null. */
  notAvailable: { silence: string; overtalk: string; talkTime: string };
  parties: Record<
    string,
    { talkMs: null; talkRatio: null; wordsPerMinute: number | null; words: number; interruptionsMade: null; interruptionsSuffered: null }
  >;
}

export function raisedToneNotAvailable(): Observable<DetectorOutput> {
  const value: RaisedToneNotAvailable = { available: false, reason: NO_AUDIO_REASON };
  return of({ kind: 'summary', section: 'raisedTone', value });
}

/** Talk speed measures from final transcripts, then the 'talk' section. */
export function textTalkFrom(
  transcripts$: Observable<TranscriptEvent>,
  parties: readonly string[],
  options: TalkSpeedOptions,
  durationMs$?: Observable<number>,
): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const speed = new TalkSpeedTracker(options);
    let endMs = 0;
    const inputs$ = merge(transcripts$.pipe(map((transcript) => ({ transcript }))), (durationMs$ ?? EMPTY).pipe(map((durationMs) => ({ durationMs }))));
    return inputs$.subscribe({
      next(input) {
        if ('durationMs' in input) {
          endMs = Math.max(endMs, input.durationMs);
          return;
        }
        if (input.transcript.final) endMs = Math.max(endMs, input.transcript.endMs);
        const m = speed.add(input.transcript);
        if (m !== null) subscriber.next({ kind: 'measure', measure: m });
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        const speeds = speed.summary();
        const value: TextTalkSummary = {
          durationMs: Math.round(endMs),
          silence: null,
          overtalk: null,
          notAvailable: { silence: NO_AUDIO_REASON, overtalk: NO_AUDIO_REASON, talkTime: NO_AUDIO_REASON },
          parties: {},
        };
        for (const party of new Set([...parties, ...Object.keys(speeds)])) {
          value.parties[party] = {
            talkMs: null,
            talkRatio: null,
            wordsPerMinute: speeds[party]?.wordsPerMinute ?? null,
            words: speeds[party]?.words ?? 0,
            interruptionsMade: null,
            interruptionsSuffered: null,
          };
        }
        subscriber.next({ kind: 'summary', section: 'talk', value });
        subscriber.complete();
      },
    });
  });
}
