/**
 * Raised tone: a speaker whose voice gets louder and higher than their own usual voice, and stays so.
 *
 * Method (per party, on that party's own audio channel; works at 8 kHz telephone rate and up):
 * 1. Frames of 20 ms on the call timeline (`frames.frameMs`). Each frame gets its level in dBFS
 *    (RMS). An energy gate with an adaptive noise floor (the floor follows quieter frames down fast,
 *    creeps up at most 1 dB/s, and is never below the quietest frame of the last 2 s) marks frames
 *    at least 10 dB above the floor and above -55 dBFS as active. Steady line noise (hiss, hum)
 *    becomes the floor instead of "speech".
 * 2. Only active frames get a pitch estimate: YIN over the last 40 ms, F0 searched in 70-400 Hz
 *    (above 8 kHz the window is low-passed and decimated to ~8 kHz first, so 16 kHz costs about
 *    what 8 kHz does). A frame is voiced when YIN's aperiodicity is under 0.35. Noise (white,
 *    brown) is aperiodic and 50/60 Hz mains hum has its period outside the range, so neither is
 *    voiced; only voiced frames are used below.
 * 3. Baseline: the medians of loudness (dB) and pitch (semitones) over the party's first 4 s of voiced
 *    speech (`baselineLearnMs`). Nothing is judged before that. Afterwards the baseline follows the
 *    speaker by at most 0.3 dB and 0.1 semitone per second of voiced speech, and only while the
 *    speaker is calm, so a raised episode does not teach the baseline to be raised. A speaker loud
 *    from the start thus has a loud baseline and is not "raised".
 * 4. Every voiced frame, the medians of loudness and pitch over the voiced frames of the last 1 s
 *    (`windowMs`; judged only when at least 25% of the window is voiced) are compared with the
 *    baseline. With `require: 'both'` (default) an episode starts when loudness is >= 6 dB
 *    (`loudnessMarginDb`) AND pitch >= 2 semitones (`pitchMarginSemitones`) above baseline;
 *    `'either'`, `'loudness'` or `'pitch'` relax this. Medians make a single loud word or a pitch
 *    octave error count little. The episode's start is the first frame of that window that was
 *    itself above the loudness margin (the pitch margin in `'pitch'` mode).
 * 5. Hysteresis: a started episode lasts while loudness stays >= margin - 2 dB and pitch >=
 *    margin - 1 semitone (`loudnessHysteresisDb`, `pitchHysteresisSemitones`), and ends after 2 s
 *    without voiced speech (`releaseMs`).
 * 6. An alert ('raised_tone') is raised once the episode has lasted 2 s (`minDurationMs`): shorter
 *    ones (a loud word, a laugh) are dropped. Its startMs is the episode's start, endMs the time of
 *    the alert. After an episode ends, episodes of the same party within 20 s (`cooldownMs`) are
 *    measured but not alerted.
 * 7. Severity from how far and how long: r = mean over the required measures of (mean rise /
 *    margin); r < 1.5 low, < 2.5 medium, else high; one step higher once the episode lasts 10 s
 *    (`longEpisodeMs`), up to critical. When the severity of a running episode rises, a further
 *    alert with the higher severity is raised (its own key).
 * Every episode of at least `minDurationMs` is also emitted when it ends as a `raised_tone` measure:
 * value = mean loudness rise over the baseline in dB. The 'raisedTone' summary section lists the
 * baselines and episodes of every party.
 * Checked on espeak-ng speech (male and female, 8 kHz mu-law and 16 kHz): a raised passage (+11 dB,
 * +6 semitones) is found with its start within 0.2 s; no alert on calm calls, one loud word, a
 * speaker loud from the start, white noise with hum all along, or loud brown-noise and hum bursts.
 * Cost: about 2 ms of CPU per second of audio per party at 8 or 16 kHz (frame features included).
 * Limits: a raise during the first seconds of a party's speech is not detected (it becomes the
 * baseline); cross-talk leaking into a party's channel counts as that party's voice.
 */
import { Observable } from 'rxjs';
import type { AlertSeverity } from '../events/schema.js';
import type { FrameBatch } from '../audio/features/frame-analyzer.js';
import { frameStartMs } from '../audio/features/frame-analyzer.js';
import { partyFrames } from '../audio/features/party-frames.js';
import { SpeakerBaseline, hzToSemitones, medianOf, semitonesToHz } from './baseline.js';
import type { MeasuresOptions, RaisedToneOptions } from './measures-options.js';
import type { CallStreams, DetectedAlert, Detector, DetectorOutput } from './types.js';

const SEVERITIES: readonly AlertSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

export interface RaisedToneEpisode {
  party: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Mean rise of the window medians over the baseline during the episode. */
  loudnessRiseDb: number;
  pitchRiseSemitones: number;
  peakLoudnessRiseDb: number;
  peakPitchRiseSemitones: number;
  severity: AlertSeverity;
  /** False when the episode fell in the party's cooldown and raised no alert. */
  alerted: boolean;
}

export interface RaisedTonePartySummary {
  /** Whether enough voiced speech was heard to learn a baseline. */
  baselineLearned: boolean;
  /** Baseline at the end of the call (null when not learned). */
  baselineDbfs: number | null;
  baselineF0Hz: number | null;
  voicedMs: number;
  episodes: number;
  raisedMs: number;
}

export interface RaisedToneSummary {
  parties: Record<string, RaisedTonePartySummary>;
  episodes: RaisedToneEpisode[];
}

/** What the tracker reports; the detector turns these into DetectorOutputs. */
export type RaisedToneEvent = { type: 'alert'; alert: DetectedAlert } | { type: 'episode'; episode: RaisedToneEpisode };

type State = 'idle' | 'candidate' | 'episode';

/** Raised-tone state machine of one party, fed frame by frame (allocation-free per frame). */
export class RaisedToneTracker {
  private readonly baseline: SpeakerBaseline;
  private readonly capacity: number;
  private readonly winTime: Float64Array;
  private readonly winLoud: Float32Array;
  private readonly winPitch: Float32Array;
  private readonly lin: Float32Array;
  private readonly scratch: Float32Array;
  private head = 0;
  private count = 0;
  private state: State = 'idle';
  private lastVoicedEndMs = Number.NEGATIVE_INFINITY;
  private startMs = 0;
  private lastStayEndMs = 0;
  private sumLoud = 0;
  private sumPitch = 0;
  private n = 0;
  private peakLoud = Number.NEGATIVE_INFINITY;
  private peakPitch = Number.NEGATIVE_INFINITY;
  private alertedRank = 0;
  private alertable = false;
  private lastEpisodeEndMs = Number.NEGATIVE_INFINITY;
  private voicedFrames = 0;
  private readonly episodes: RaisedToneEpisode[] = [];

  constructor(
    readonly party: string,
    private readonly options: RaisedToneOptions,
    private readonly frameMs: number,
  ) {
    const perSecond = 1000 / frameMs;
    this.baseline = new SpeakerBaseline({
      learnFrames: Math.max(1, Math.round(options.baselineLearnMs / frameMs)),
      loudnessStepDb: options.baselineAdaptDbPerSec / perSecond,
      pitchStepSemitones: options.baselineAdaptSemitonesPerSec / perSecond,
    });
    this.capacity = Math.ceil(options.windowMs / frameMs) + 2;
    this.winTime = new Float64Array(this.capacity);
    this.winLoud = new Float32Array(this.capacity);
    this.winPitch = new Float32Array(this.capacity);
    this.lin = new Float32Array(this.capacity);
    this.scratch = new Float32Array(this.capacity);
  }

  /**
   * One frame starting at `startMs`: its level (dBFS) and F0 (Hz, 0 when unvoiced).
   * Events are pushed to `out`.
   */
  frame(startMs: number, levelDb: number, f0Hz: number, out: RaisedToneEvent[]): void {
    const endMs = startMs + this.frameMs;
    if (f0Hz <= 0) {
      if (this.state !== 'idle' && endMs - this.lastVoicedEndMs > this.options.releaseMs) this.close(out);
      return;
    }
    this.voicedFrames++;
    this.lastVoicedEndMs = endMs;
    const pitch = hzToSemitones(f0Hz);
    if (!this.baseline.ready) {
      this.baseline.learn(levelDb, pitch);
      return;
    }
    this.pushWindow(startMs, levelDb, pitch);
    const { options } = this;
    if ((this.count * this.frameMs) / options.windowMs < options.minVoicedShare) return;
    const riseLoud = this.windowMedian(this.winLoud) - this.baseline.loudnessDb;
    const risePitch = this.windowMedian(this.winPitch) - this.baseline.pitchSemitones;
    const enter = this.meets(riseLoud, risePitch, 0, 0);
    const stay = this.meets(riseLoud, risePitch, options.loudnessHysteresisDb, options.pitchHysteresisSemitones);

    if (this.state === 'idle') {
      if (!enter) {
        this.baseline.adapt(levelDb, pitch);
        return;
      }
      this.state = 'candidate';
      this.startMs = this.onsetInWindow(startMs);
      this.sumLoud = this.sumPitch = 0;
      this.n = 0;
      this.peakLoud = this.peakPitch = Number.NEGATIVE_INFINITY;
      this.alertedRank = 0;
    } else if (!stay) {
      this.close(out);
      return;
    }
    this.lastStayEndMs = endMs;
    this.sumLoud += riseLoud;
    this.sumPitch += risePitch;
    this.n++;
    if (riseLoud > this.peakLoud) this.peakLoud = riseLoud;
    if (risePitch > this.peakPitch) this.peakPitch = risePitch;
    if (this.state === 'candidate' && endMs - this.startMs >= options.minDurationMs) {
      this.state = 'episode';
      this.alertable = this.startMs - this.lastEpisodeEndMs >= options.cooldownMs;
    }
    if (this.state === 'episode' && this.alertable) {
      const rank = this.severityRank(endMs);
      if (rank > this.alertedRank) {
        out.push({ type: 'alert', alert: this.alert(rank, endMs) });
        this.alertedRank = rank;
      }
    }
  }

  /** End of the party's audio: close a running episode. */
  finish(out: RaisedToneEvent[]): void {
    if (this.state !== 'idle') this.close(out);
  }

  summary(): RaisedTonePartySummary {
    const learned = this.baseline.ready;
    return {
      baselineLearned: learned,
      baselineDbfs: learned ? round(this.baseline.loudnessDb, 1) : null,
      baselineF0Hz: learned ? round(semitonesToHz(this.baseline.pitchSemitones), 1) : null,
      voicedMs: this.voicedFrames * this.frameMs,
      episodes: this.episodes.length,
      raisedMs: this.episodes.reduce((sum, e) => sum + e.durationMs, 0),
    };
  }

  get allEpisodes(): readonly RaisedToneEpisode[] {
    return this.episodes;
  }

  private meets(riseLoud: number, risePitch: number, slackDb: number, slackSemitones: number): boolean {
    const loud = riseLoud >= this.options.loudnessMarginDb - slackDb;
    const high = risePitch >= this.options.pitchMarginSemitones - slackSemitones;
    switch (this.options.require) {
      case 'both':
        return loud && high;
      case 'either':
        return loud || high;
      case 'loudness':
        return loud;
      case 'pitch':
        return high;
    }
  }

  /** How far above the margins the episode is so far, as a ratio (>= 1 while it is above them). */
  private ratio(): number {
    const loud = this.sumLoud / this.n / this.options.loudnessMarginDb;
    const high = this.sumPitch / this.n / this.options.pitchMarginSemitones;
    switch (this.options.require) {
      case 'both':
        return (loud + high) / 2;
      case 'either':
        return Math.max(loud, high);
      case 'loudness':
        return loud;
      case 'pitch':
        return high;
    }
  }

  /** Index into SEVERITIES: low 1, medium 2, high 3, critical 4. */
  private severityRank(nowMs: number): number {
    const r = this.ratio();
    let rank = r < 1.5 ? 1 : r < 2.5 ? 2 : 3;
    if (nowMs - this.startMs >= this.options.longEpisodeMs) rank++;
    return Math.min(rank, SEVERITIES.length - 1);
  }

  private alert(rank: number, nowMs: number): DetectedAlert {
    const severity = SEVERITIES[rank]!;
    const index = this.episodes.length + 1;
    return {
      key: `raised_tone:${this.party}:${index}:${severity}`,
      kind: 'raised_tone',
      category: 'raised_tone',
      severity,
      party: this.party,
      startMs: this.startMs,
      endMs: nowMs,
      details: {
        loudnessRiseDb: round(this.sumLoud / this.n, 1),
        pitchRiseSemitones: round(this.sumPitch / this.n, 1),
        baselineDbfs: round(this.baseline.loudnessDb, 1),
        baselineF0Hz: round(semitonesToHz(this.baseline.pitchSemitones), 1),
        durationMs: nowMs - this.startMs,
        escalation: this.alertedRank > 0,
      },
    };
  }

  private close(out: RaisedToneEvent[]): void {
    if (this.state === 'episode') {
      const episode: RaisedToneEpisode = {
        party: this.party,
        startMs: this.startMs,
        endMs: this.lastStayEndMs,
        durationMs: this.lastStayEndMs - this.startMs,
        loudnessRiseDb: round(this.sumLoud / this.n, 1),
        pitchRiseSemitones: round(this.sumPitch / this.n, 1),
        peakLoudnessRiseDb: round(this.peakLoud, 1),
        peakPitchRiseSemitones: round(this.peakPitch, 1),
        severity: SEVERITIES[this.severityRank(this.lastStayEndMs)]!,
        alerted: this.alertable,
      };
      this.episodes.push(episode);
      this.lastEpisodeEndMs = episode.endMs;
      out.push({ type: 'episode', episode });
    }
    this.state = 'idle';
    this.count = 0;
  }

  private pushWindow(startMs: number, loud: number, pitch: number): void {
    const slot = (this.head + this.count) % this.capacity;
    this.winTime[slot] = startMs;
    this.winLoud[slot] = loud;
    this.winPitch[slot] = pitch;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
    const oldest = startMs + this.frameMs - this.options.windowMs;
    while (this.count > 0 && this.winTime[this.head]! < oldest) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** Median of one window column (ring order does not matter for a median). */
  private windowMedian(column: Float32Array): number {
    for (let i = 0; i < this.count; i++) this.lin[i] = column[(this.head + i) % this.capacity]!;
    return medianOf(this.lin, this.count, this.scratch);
  }

  /** First frame of the window that was itself above the margin: where the episode began. */
  private onsetInWindow(fallbackMs: number): number {
    const byPitch = this.options.require === 'pitch';
    const threshold = byPitch
      ? this.baseline.pitchSemitones + this.options.pitchMarginSemitones
      : this.baseline.loudnessDb + this.options.loudnessMarginDb;
    const column = byPitch ? this.winPitch : this.winLoud;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.capacity;
      if (column[slot]! >= threshold) return this.winTime[slot]!;
    }
    return fallbackMs;
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Raised tone over already computed frame features (shared with other measures). */
export function raisedToneFromFrames(frames$: Observable<FrameBatch>, options: RaisedToneOptions): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const trackers = new Map<string, RaisedToneTracker>();
    const events: RaisedToneEvent[] = [];
    const flush = (): void => {
      for (const event of events) {
        if (event.type === 'alert') subscriber.next({ kind: 'alert', alert: event.alert });
        else {
          const e = event.episode;
          subscriber.next({
            kind: 'measure',
            measure: { measure: 'raised_tone', party: e.party, startMs: e.startMs, endMs: e.endMs, value: e.loudnessRiseDb },
          });
        }
      }
      events.length = 0;
    };
    return frames$.subscribe({
      next(batch) {
        let tracker = trackers.get(batch.party);
        if (tracker === undefined) {
          // The frame's true duration (the hop rounded to whole samples) keeps times exact.
          tracker = new RaisedToneTracker(batch.party, options, (batch.hopSamples * 1000) / batch.sampleRate);
          trackers.set(batch.party, tracker);
        }
        for (let i = 0; i < batch.count; i++) {
          const startMs = frameStartMs(batch.firstFrame + i, batch.hopSamples, batch.sampleRate);
          tracker.frame(startMs, batch.levelDb[i]!, batch.f0Hz[i]!, events);
        }
        flush();
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        for (const tracker of trackers.values()) tracker.finish(events);
        flush();
        const summary: RaisedToneSummary = { parties: {}, episodes: [] };
        for (const [party, tracker] of trackers) {
          summary.parties[party] = tracker.summary();
          summary.episodes.push(...tracker.allEpisodes);
        }
        summary.episodes.sort((a, b) => a.startMs - b.startMs);
        subscriber.next({ kind: 'summary', section: 'raisedTone', value: summary });
        subscriber.complete();
      },
    });
  });
}

/** The raised-tone detector: frame features of `audio$`, then raisedToneFromFrames. */
export function raisedToneDetector(options: MeasuresOptions): Detector {
  return (streams: CallStreams) =>
    raisedToneFromFrames(partyFrames(streams.audio$, options.frames), options.raisedTone);
}
