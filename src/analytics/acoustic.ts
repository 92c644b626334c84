/**
 * The acoustic measures of one call, hosted wherever its audio is decoded (the call's ASR worker
 * thread in the service): frame features once per party (partyFrames), raised tone and the frame
 * side of talk activity (silence, overtalk, talk time) on them. The detectors stay the pure RxJS
 * operators they are on the main thread; this only feeds them PCM and hands their outputs to `emit`
 * as plain data, which the main thread turns back into observables (CallStreams.acoustic).
 */
import { EMPTY, Observable, Subject, connectable } from 'rxjs';
import type { PartyPcm } from '../audio/format.js';
import type { FrameBatch } from '../audio/features/frame-analyzer.js';
import { partyFrames } from '../audio/features/party-frames.js';
import type { MeasuresOptions } from './measures-options.js';
import { raisedToneFromFrames } from './raised-tone.js';
import { talkActivityFromFrames } from './talk-activity.js';
import type { DetectorOutput } from './types.js';

/** Which acoustic stream an event belongs to. */
export type AcousticSource = 'raisedTone' | 'talkActivity';

export type AcousticEvent =
  | { source: AcousticSource; output: DetectorOutput }
  | { source: AcousticSource; error: string }
  | { source: AcousticSource; complete: true };

/** The acoustic outputs as the measures detector reads them (measures.ts). */
export interface AcousticStreams {
  /** raisedToneFromFrames' outputs (absent when raised tone is off). */
  raisedTone$: Observable<DetectorOutput>;
  /** talkActivityFromFrames' outputs. */
  talkActivity$: Observable<DetectorOutput>;
}

export class AcousticAnalysis {
  private readonly audio = new Subject<PartyPcm>();
  private readonly subscriptions: Array<{ unsubscribe(): void }> = [];

  constructor(parties: readonly string[], options: MeasuresOptions, emit: (event: AcousticEvent) => void) {
    const frames$ = connectable<FrameBatch>(partyFrames(this.audio, options.frames), { connector: () => new Subject<FrameBatch>(), resetOnDisconnect: false });
    const run = (source: AcousticSource, outputs$: Observable<DetectorOutput>): void => {
      this.subscriptions.push(
        outputs$.subscribe({
          next: (output) => emit({ source, output }),
          error: (err: unknown) => emit({ source, error: err instanceof Error ? err.message : String(err) }),
          complete: () => emit({ source, complete: true }),
        }),
      );
    };
    run('raisedTone', options.raisedTone.enabled ? raisedToneFromFrames(frames$, options.raisedTone) : EMPTY);
    run('talkActivity', talkActivityFromFrames(frames$, parties, options));
    this.subscriptions.push(frames$.connect());
  }

  /** One party's PCM at the call rate, placed on the call timeline (an empty chunk moves the clock). */
  push(pcm: PartyPcm): void {
    this.audio.next(pcm);
  }

  /** End of the call's audio: the detectors finish and emit their summary sections. */
  end(): void {
    this.audio.complete();
  }

  /** Dropped without results (call torn down). */
  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}

/** Acoustic events (from another thread) back into the observables the measures detector reads. */
export class AcousticReceiver implements AcousticStreams {
  private readonly raisedTone = new Subject<DetectorOutput>();
  private readonly talkActivity = new Subject<DetectorOutput>();
  readonly raisedTone$ = this.raisedTone.asObservable();
  readonly talkActivity$ = this.talkActivity.asObservable();

  receive(event: AcousticEvent): void {
    const subject = event.source === 'raisedTone' ? this.raisedTone : this.talkActivity;
    if ('output' in event) subject.next(event.output);
    else if ('error' in event) subject.error(new Error(event.error));
    else subject.complete();
  }

  /** The thread computing them is gone: both streams fail with `error` (the measures report it). */
  fail(error: Error): void {
    this.raisedTone.error(error);
    this.talkActivity.error(error);
  }
}
