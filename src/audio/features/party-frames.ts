import { Observable } from 'rxjs';
import type { PartyPcm } from '../format.js';
import { FrameAnalyzer, type FrameAnalyzerOptions, type FrameBatch } from './frame-analyzer.js';

export type FrameFeatureOptions = Omit<FrameAnalyzerOptions, 'sampleRate'>;

/** A party's audio changed rate mid-call: its frame grid would no longer line up. */
export class SampleRateChangeError extends Error {
  constructor(party: string, from: number, to: number) {
    super(`party ${party}: sample rate changed from ${from} Hz to ${to} Hz mid-call`);
    this.name = 'SampleRateChangeError';
  }
}

/** Frame features of every party's audio, one analyzer per party (created on its first audio). */
export function partyFrames(audio$: Observable<PartyPcm>, options: FrameFeatureOptions): Observable<FrameBatch> {
  return new Observable<FrameBatch>((subscriber) => {
    const analyzers = new Map<string, FrameAnalyzer>();
    return audio$.subscribe({
      next(pcm) {
        let analyzer = analyzers.get(pcm.party);
        if (analyzer === undefined) {
          try {
            analyzer = new FrameAnalyzer(pcm.party, { ...options, sampleRate: pcm.sampleRate });
          } catch (err) {
            subscriber.error(err);
            return;
          }
          analyzers.set(pcm.party, analyzer);
        } else if (analyzer.sampleRate !== pcm.sampleRate) {
          subscriber.error(new SampleRateChangeError(pcm.party, analyzer.sampleRate, pcm.sampleRate));
          return;
        }
        const batch = analyzer.push(pcm.samples, pcm.startSample);
        if (batch !== null) subscriber.next(batch);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}
