/**
 * Who talks when: silence (dead air), overtalk (who interrupted whom) and talk ratio, from each
 * party's energy-gated frames; plus talk speed from final transcripts. One 'talk' summary section.
 *
 * Per party, raw active frames become talk spurts: a spurt starts after `minSpurtMs` of activity
 * (clicks are not talk) and bridges inactive gaps up to `hangoverMs` (syllable gaps); a longer gap
 * ends it at its last active frame. Decisions are final `max(minSpurtMs, hangoverMs)` after the
 * fact. The parties' smoothed flags are then swept together frame by frame:
 * - dead air: every party silent, after someone first spoke; measured when >= silence.measureMinMs,
 *   alerted live when it passes silence.alertMinMs (trailing silence at the end counts too);
 * - overtalk: two or more parties talking at once for >= overtalk.minMs; the interrupter is the one
 *   whose spurt started last, the interrupted the one whose spurt started first (none on a tie);
 * - talk ratio: each party's talk time over all parties' talk time.
 * A party whose audio lags the others by more than `maxPartySkewMs` is taken as silent for the
 * frames it missed, so one silent or stalled channel cannot hold the others back without bound.
 */
import { EMPTY, Observable, map, merge } from 'rxjs';
import type { TranscriptEvent } from '../events/schema.js';
import type { FrameBatch } from '../audio/features/frame-analyzer.js';
import { partyFrames } from '../audio/features/party-frames.js';
import type { MeasuresOptions, OvertalkOptions, SilenceOptions, TalkActivityOptions } from './measures-options.js';
import { TalkSpeedTracker, type PartyTalkSpeed } from './talk-speed.js';
import type { CallStreams, Detector, DetectorOutput, MeasureEvent } from './types.js';

export interface SilenceSpan {
  startMs: number;
  endMs: number;
  durationMs: number;
}

export interface OvertalkSpan {
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Who started talking over the other (absent on a tie). */
  party?: string;
  interruptedParty?: string;
}

export interface TalkPartySummary {
  talkMs: number;
  /** Share of all parties' talk time, 0..1 (null when nobody talked). */
  talkRatio: number | null;
  wordsPerMinute: number | null;
  words: number;
  /** Overtalks this party started. */
  interruptionsMade: number;
  /** Overtalks started over this party. */
  interruptionsSuffered: number;
}

export interface TalkSummary {
  durationMs: number;
  silence: { count: number; totalMs: number; longestMs: number; spans: SilenceSpan[] };
  overtalk: {
    count: number;
    totalMs: number;
    /** interrupter -> interrupted -> count */
    whoInterruptedWhom: Record<string, Record<string, number>>;
    spans: OvertalkSpan[];
  };
  parties: Record<string, TalkPartySummary>;
}

/** Smooths one party's raw frame activity into talk flags, emitted as runs in frame order. */
class PartyTalkSmoother {
  /** Next raw frame expected. */
  cursor = -1;
  /** First frame this party sent (earlier frames are silent). */
  firstFrame = -1;
  /** Frames whose talk flag is final: [firstFinal ... emittedUntil). */
  emittedUntil = -1;
  readonly runs: Array<{ until: number; talk: boolean }> = [];
  private talking = false;
  private run = 0;
  private gap = 0;

  constructor(
    private readonly minRun: number,
    private readonly maxGap: number,
  ) {}

  /** Raw flags of frames [first, first + flags.length). Frames before the cursor are dropped. */
  push(first: number, flags: Uint8Array): void {
    if (this.cursor < 0) this.cursor = this.emittedUntil = this.firstFrame = first;
    if (first > this.cursor) this.inactive(first - this.cursor);
    for (let i = Math.max(0, this.cursor - first); i < flags.length; i++) {
      if (flags[i] === 1) this.active();
      else this.inactive(1);
    }
  }

  /** Skip to `frame` taking the missing frames as inactive. */
  skipTo(frame: number): void {
    if (this.cursor < 0) this.cursor = this.emittedUntil = this.firstFrame = frame;
    if (frame > this.cursor) this.inactive(frame - this.cursor);
  }

  /** End of audio: pending frames are decided as they stand. */
  flush(): void {
    if (this.talking) this.emit(this.gap, false);
    else this.emit(this.run, false);
    this.run = this.gap = 0;
    this.talking = false;
  }

  private active(): void {
    this.cursor++;
    if (this.talking) {
      this.emit(this.gap + 1, true);
      this.gap = 0;
    } else if (++this.run >= this.minRun) {
      this.emit(this.run, true);
      this.run = 0;
      this.talking = true;
    }
  }

  private inactive(count: number): void {
    this.cursor += count;
    if (this.talking) {
      this.gap += count;
      if (this.gap > this.maxGap) {
        this.emit(this.gap, false);
        this.gap = 0;
        this.talking = false;
      }
    } else {
      this.emit(this.run + count, false);
      this.run = 0;
    }
  }

  private emit(count: number, talk: boolean): void {
    if (count <= 0) return;
    this.emittedUntil += count;
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.talk === talk) last.until = this.emittedUntil;
    else this.runs.push({ until: this.emittedUntil, talk });
  }
}

/** Joint sweep of all parties' talk flags: silence, overtalk and talk time. */
export class TalkActivityTracker {
  private readonly smoothers = new Map<string, PartyTalkSmoother>();
  private readonly order: string[];
  private frameMs = 0;
  /** First frame not yet swept. */
  private next = -1;
  private swept = false;
  private readonly talkFrames = new Map<string, number>();
  private readonly spurtStart = new Map<string, number>();
  private readonly talkingNow = new Set<string>();
  private anyoneSpoke = false;
  private silenceStart = -1;
  private silenceAlerted = false;
  private overlapStart = -1;
  private overlapBy: { party?: string; interruptedParty?: string } = {};
  private overlapAlerted = false;
  private lastFrame = 0;
  readonly silences: SilenceSpan[] = [];
  readonly overtalks: OvertalkSpan[] = [];

  constructor(
    parties: readonly string[],
    private readonly talk: TalkActivityOptions,
    private readonly silence: SilenceOptions,
    private readonly overtalk: OvertalkOptions,
  ) {
    this.order = [...parties];
  }

  /** Frames of one party; outputs (alerts, measures) are pushed to `out`. */
  add(batch: FrameBatch, out: DetectorOutput[]): void {
    const frameMs = (batch.hopSamples * 1000) / batch.sampleRate;
    if (this.frameMs === 0) this.frameMs = frameMs;
    else if (frameMs !== this.frameMs) throw new RangeError(`party ${batch.party}: frame grid differs from the other parties'`);
    let smoother = this.smoothers.get(batch.party);
    if (smoother === undefined) {
      if (!this.order.includes(batch.party)) this.order.push(batch.party);
      smoother = new PartyTalkSmoother(
        Math.max(1, Math.round(this.talk.minSpurtMs / frameMs)),
        Math.round(this.talk.hangoverMs / frameMs),
      );
      this.smoothers.set(batch.party, smoother);
    }
    smoother.push(batch.firstFrame, batch.active);
    if (this.next < 0 || (!this.swept && batch.firstFrame < this.next)) this.next = batch.firstFrame;
    this.sweep(false, out);
  }

  /** End of all audio: decide everything and close open spans. */
  finish(out: DetectorOutput[]): void {
    for (const s of this.smoothers.values()) s.flush();
    this.sweep(true, out);
    const end = this.lastFrame;
    if (this.overlapStart >= 0) this.closeOverlap(end, out);
    if (this.silenceStart >= 0) this.closeSilence(end, out);
  }

  summary(durationMs: number, speeds: Record<string, PartyTalkSpeed>): TalkSummary {
    return talkSummaryFrom(this.snapshot(), durationMs, speeds);
  }

  /** What the 'talk' section needs from the frames, as plain data (it may cross threads). */
  snapshot(): TalkActivitySnapshot {
    return {
      frameMs: this.frameMs,
      sweptUntilMs: this.sweptUntilMs,
      order: [...this.order],
      talkFrames: Object.fromEntries(this.talkFrames),
      silences: this.silences,
      overtalks: this.overtalks,
    };
  }

  /** Frames of the joint timeline decided so far (end of the last swept frame, ms). */
  get sweptUntilMs(): number {
    return this.lastFrame * this.frameMs;
  }

  private sweep(final: boolean, out: DetectorOutput[]): void {
    if (this.next < 0) return;
    const smoothers = this.order.flatMap((p) => {
      const s = this.smoothers.get(p);
      return s === undefined ? [] : [{ party: p, s }];
    });
    let maxDecided = -1;
    for (const { s } of smoothers) maxDecided = Math.max(maxDecided, s.emittedUntil);
    const skewFrames = Math.round(this.talk.maxPartySkewMs / this.frameMs);
    // A party lagging too far is taken as silent for what it missed (its late audio is dropped).
    let until = maxDecided;
    for (const { s } of smoothers) {
      if (final) s.skipTo(maxDecided);
      else if (maxDecided - s.emittedUntil > skewFrames) s.skipTo(maxDecided - skewFrames);
      until = Math.min(until, s.emittedUntil);
    }
    // A party that has sent no audio yet holds the sweep back, but by no more than the skew limit.
    if (!final && smoothers.length < this.order.length) until = Math.min(until, maxDecided - skewFrames);
    for (let frame = this.next; frame < until; frame++) this.step(frame, smoothers, out);
    if (until > this.next) {
      this.next = until;
      this.swept = true;
    }
    this.lastFrame = Math.max(this.lastFrame, this.next);
  }

  private step(frame: number, smoothers: Array<{ party: string; s: PartyTalkSmoother }>, out: DetectorOutput[]): void {
    for (const { party, s } of smoothers) {
      while (s.runs.length > 0 && s.runs[0]!.until <= frame) s.runs.shift();
      const talk = frame >= s.firstFrame && (s.runs[0]?.talk ?? false);
      if (talk) {
        if (!this.talkingNow.has(party)) {
          this.talkingNow.add(party);
          this.spurtStart.set(party, frame);
        }
        this.talkFrames.set(party, (this.talkFrames.get(party) ?? 0) + 1);
      } else this.talkingNow.delete(party);
    }
    const talkers = this.talkingNow.size;
    // Dead air.
    if (talkers === 0) {
      if (this.anyoneSpoke) {
        if (this.silenceStart < 0) {
          this.silenceStart = frame;
          this.silenceAlerted = false;
        }
        const lengthMs = (frame + 1 - this.silenceStart) * this.frameMs;
        if (this.silence.enabled && this.silence.alert && !this.silenceAlerted && lengthMs > this.silence.alertMinMs) {
          this.silenceAlerted = true;
          const startMs = this.silenceStart * this.frameMs;
          out.push({
            kind: 'alert',
            alert: {
              key: `silence:${Math.round(startMs)}`,
              kind: 'silence',
              category: 'silence',
              severity: this.silence.severity,
              startMs,
              endMs: (frame + 1) * this.frameMs,
              details: { thresholdMs: this.silence.alertMinMs },
            },
          });
        }
      }
    } else {
      this.anyoneSpoke = true;
      if (this.silenceStart >= 0) this.closeSilence(frame, out);
    }
    // Overtalk.
    if (talkers >= 2) {
      if (this.overlapStart < 0) {
        this.overlapStart = frame;
        this.overlapAlerted = false;
        this.overlapBy = this.whoInterrupted();
      }
      const lengthMs = (frame + 1 - this.overlapStart) * this.frameMs;
      if (this.overtalk.enabled && this.overtalk.alert && !this.overlapAlerted && lengthMs >= this.overtalk.minMs) {
        this.overlapAlerted = true;
        const startMs = this.overlapStart * this.frameMs;
        out.push({
          kind: 'alert',
          alert: {
            key: `overtalk:${Math.round(startMs)}`,
            kind: 'overtalk',
            category: 'overtalk',
            severity: this.overtalk.severity,
            ...(this.overlapBy.party !== undefined ? { party: this.overlapBy.party } : {}),
            startMs,
            endMs: (frame + 1) * this.frameMs,
            details: { ...this.overlapBy, thresholdMs: this.overtalk.minMs },
          },
        });
      }
    } else if (this.overlapStart >= 0) this.closeOverlap(frame, out);
  }

  private whoInterrupted(): { party?: string; interruptedParty?: string } {
    let latest: string | undefined;
    let earliest: string | undefined;
    for (const p of this.talkingNow) {
      const start = this.spurtStart.get(p) ?? 0;
      if (latest === undefined || start > this.spurtStart.get(latest)!) latest = p;
      if (earliest === undefined || start < this.spurtStart.get(earliest)!) earliest = p;
    }
    if (latest === undefined || earliest === undefined) return {};
    if (this.spurtStart.get(latest) === this.spurtStart.get(earliest)) return {};
    return { party: latest, interruptedParty: earliest };
  }

  private closeSilence(endFrame: number, out: DetectorOutput[]): void {
    const startMs = this.silenceStart * this.frameMs;
    const endMs = endFrame * this.frameMs;
    this.silenceStart = -1;
    const durationMs = Math.round(endMs - startMs);
    if (!this.silence.enabled || durationMs < this.silence.measureMinMs) return;
    this.silences.push({ startMs, endMs, durationMs });
    const measure: MeasureEvent = { measure: 'silence', startMs, endMs, value: durationMs };
    out.push({ kind: 'measure', measure });
  }

  private closeOverlap(endFrame: number, out: DetectorOutput[]): void {
    const startMs = this.overlapStart * this.frameMs;
    const endMs = endFrame * this.frameMs;
    this.overlapStart = -1;
    const durationMs = Math.round(endMs - startMs);
    if (!this.overtalk.enabled || durationMs < this.overtalk.minMs) return;
    this.overtalks.push({ startMs, endMs, durationMs, ...this.overlapBy });
    const measure: MeasureEvent = {
      measure: 'overtalk',
      startMs,
      endMs,
      value: durationMs,
      ...(this.overlapBy.party !== undefined ? { party: this.overlapBy.party } : {}),
      ...(this.overlapBy.interruptedParty !== undefined ? { interruptedParty: this.overlapBy.interruptedParty } : {}),
    };
    out.push({ kind: 'measure', measure });
  }
}

/** The frame side of the 'talk' section at the end of a call (TalkActivityTracker.snapshot()). */
export interface TalkActivitySnapshot {
  frameMs: number;
  sweptUntilMs: number;
  order: string[];
  talkFrames: Record<string, number>;
  silences: SilenceSpan[];
  overtalks: OvertalkSpan[];
}

/** The 'talk' section: the frames' activity with talk speeds and the call's duration. */
export function talkSummaryFrom(a: TalkActivitySnapshot, durationMs: number, speeds: Record<string, PartyTalkSpeed>): TalkSummary {
  const ms = (frames: number): number => Math.round(frames * a.frameMs);
  let totalTalk = 0;
  for (const f of Object.values(a.talkFrames)) totalTalk += f;
  const whoInterruptedWhom: Record<string, Record<string, number>> = {};
  for (const o of a.overtalks) {
    if (o.party === undefined || o.interruptedParty === undefined) continue;
    const row = (whoInterruptedWhom[o.party] ??= {});
    row[o.interruptedParty] = (row[o.interruptedParty] ?? 0) + 1;
  }
  const parties: Record<string, TalkPartySummary> = {};
  for (const party of new Set([...a.order, ...Object.keys(speeds)])) {
    const frames = a.talkFrames[party] ?? 0;
    parties[party] = {
      talkMs: ms(frames),
      talkRatio: totalTalk > 0 ? Math.round((frames / totalTalk) * 1000) / 1000 : null,
      wordsPerMinute: speeds[party]?.wordsPerMinute ?? null,
      words: speeds[party]?.words ?? 0,
      interruptionsMade: a.overtalks.filter((o) => o.party === party).length,
      interruptionsSuffered: a.overtalks.filter((o) => o.interruptedParty === party).length,
    };
  }
  return {
    durationMs: Math.round(durationMs),
    silence: {
      count: a.silences.length,
      totalMs: a.silences.reduce((s, x) => s + x.durationMs, 0),
      longestMs: a.silences.reduce((m, x) => Math.max(m, x.durationMs), 0),
      spans: a.silences,
    },
    overtalk: {
      count: a.overtalks.length,
      totalMs: a.overtalks.reduce((s, x) => s + x.durationMs, 0),
      whoInterruptedWhom,
      spans: a.overtalks,
    },
    parties,
  };
}

/** Summary section name of the frame side of talk (consumed by talkFrom, never published). */
export const TALK_ACTIVITY_SECTION = 'talkActivity';

/**
 * Silence, overtalk and talk time from frame features alone: alerts and measures live, then one
 * TALK_ACTIVITY_SECTION summary output with the snapshot. Needs no transcripts, so it can run where
 * the frames are computed (the call's ASR worker thread).
 */
export function talkActivityFromFrames(frames$: Observable<FrameBatch>, parties: readonly string[], options: MeasuresOptions): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const tracker = new TalkActivityTracker(parties, options.talk, options.silence, options.overtalk);
    const out: DetectorOutput[] = [];
    const flush = (): void => {
      for (const o of out) subscriber.next(o);
      out.length = 0;
    };
    return frames$.subscribe({
      next(frames) {
        try {
          tracker.add(frames, out);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        flush();
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        tracker.finish(out);
        flush();
        subscriber.next({ kind: 'summary', section: TALK_ACTIVITY_SECTION, value: tracker.snapshot() });
        subscriber.complete();
      },
    });
  });
}

/**
 * The 'talk' section from the frame side (talkActivityFromFrames, whose alerts and measures pass
 * through) and talk speed from transcripts.
 */
export function talkFrom(
  activity$: Observable<DetectorOutput>,
  transcripts$: Observable<TranscriptEvent>,
  parties: readonly string[],
  options: MeasuresOptions,
  /** The call's duration when the session knows it (else the furthest audio or transcript). */
  durationMs$?: Observable<number>,
): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const speed = new TalkSpeedTracker(options.talkSpeed);
    let activity: TalkActivitySnapshot | undefined;
    let endMs = 0;
    const inputs$ = merge(
      activity$.pipe(map((output) => ({ output }))),
      transcripts$.pipe(map((transcript) => ({ transcript }))),
      (durationMs$ ?? EMPTY).pipe(map((durationMs) => ({ durationMs }))),
    );
    return inputs$.subscribe({
      next(input) {
        if ('durationMs' in input) {
          endMs = Math.max(endMs, input.durationMs);
          return;
        }
        if ('output' in input) {
          const o = input.output;
          if (o.kind === 'summary' && o.section === TALK_ACTIVITY_SECTION) activity = o.value as TalkActivitySnapshot;
          else subscriber.next(o);
          return;
        }
        const m = speed.add(input.transcript);
        if (input.transcript.final) endMs = Math.max(endMs, input.transcript.endMs);
        if (m !== null) subscriber.next({ kind: 'measure', measure: m });
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        const a = activity ?? { frameMs: 0, sweptUntilMs: 0, order: [...parties], talkFrames: {}, silences: [], overtalks: [] };
        const durationMs = Math.max(a.sweptUntilMs, endMs);
        subscriber.next({ kind: 'summary', section: 'talk', value: talkSummaryFrom(a, durationMs, speed.summary()) });
        subscriber.complete();
      },
    });
  });
}

/** Silence, overtalk and talk ratio from frame features, talk speed from transcripts: the 'talk' section. */
export function talkFromFrames(
  frames$: Observable<FrameBatch>,
  transcripts$: Observable<TranscriptEvent>,
  parties: readonly string[],
  options: MeasuresOptions,
  /** The call's duration when the session knows it (else the furthest audio or transcript). */
  durationMs$?: Observable<number>,
): Observable<DetectorOutput> {
  return talkFrom(talkActivityFromFrames(frames$, parties, options), transcripts$, parties, options, durationMs$);
}

/** The talk detector: frame features of `audio$`, then talkFromFrames. */
export function talkDetector(options: MeasuresOptions): Detector {
  return (streams: CallStreams) =>
    talkFromFrames(partyFrames(streams.audio$, options.frames), streams.transcripts$, streams.parties, options, streams.durationMs$);
}
