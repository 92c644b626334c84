/**
 * Raised tone: a speaker whose voice is raised — louder, higher and brighter than their own calm
 * voice, or bright and high in absolute terms — for long enough to be more than one loud syllable.
 *
 * Method (per party, on that party's own audio channel; works at 8 kHz telephone rate and up):
 * 1. Frame features (src/audio/features, 20 ms frames): level (dBFS), F0 by YIN in 70-1000 Hz
 *    (shouted female voices reach 500-600 Hz), and spectral tilt (difference-to-signal energy ratio
 *    at ~8 kHz, tilt.ts) on voiced frames. Noise and hum are not voiced and are ignored.
 * 2. Utterances: voiced frames separated by less than `releaseMs` (700 ms) without voiced speech. An
 *    utterance is judged, once it has `minJudgedMs` (300 ms) of voiced frames, on the medians of
 *    loudness, pitch and tilt over its last `windowMs` (2 s) of voiced frames.
 * 3. Relative score: the rises of those medians over the speaker's baseline, in units of 6 dB,
 *    3 semitones and 2 dB, each capped at 1.5 units, summed; strength = score / 1.25. It counts only
 *    when the voice is at least 9 dB louder AND pitch and tilt together rise by 0.3 units: a hot line
 *    (louder only) or a livelier but not louder voice is not raised.
 * 4. Absolute rule (no baseline needed, gain-independent): tilt >= -5.5 dB AND F0 >= 230 Hz AND the
 *    window's voiced levels spread by >= 15 dB (p90 - p10): a bright, high, strained voice that stresses
 *    its syllables like a shout; strength 1 + (tilt + 5.5) / 2. This finds a caller angry from the
 *    first word. Brightness and pitch alone also describe some calm voices (a bright, high female
 *    voice); their even effort keeps them out.
 * 4b. Music is not a voice: a note holds its pitch, a voice glides. When more than 85 % of the
 *    utterance's last 600 ms of voiced frames keep the previous frame's pitch within 0.15 semitone,
 *    the rest of the utterance is not judged and steady pieces do not enter the baseline.
 * 5. A moment is raised at strength >= 1 (max of both rules) and stays raised down to 2/3. Evidence
 *    accumulates per raised frame as its duration times its strength; an alert is raised once it
 *    reaches `evidenceMs` (500 ms): a shout of strength 3 alerts after about 170 ms of raised voiced
 *    speech, a mild raise after 500 ms.
 * 6. Baseline (baseline.ts): the 75th percentile of the medians of the party's last 12 calm pieces of
 *    speech (utterances, or 3 s of a long one, that came nowhere near raised), used once they hold
 *    1.5 s of voiced speech. A piece that stands out from the others as raised is dropped, so an
 *    angry opening does not stay the baseline once calm speech arrives.
 * 7. Episodes: one per raised stretch of an utterance; the alert's startMs is the start of the judged
 *    window, endMs the time of the alert. Severity from the mean strength (< 1.5 low, < 2.5 medium,
 *    else high), one step higher once the episode lasts `longEpisodeMs`; a rise in severity raises a
 *    further alert (escalation). After an alerted episode, episodes within `cooldownMs` (default 0:
 *    every raised utterance alerts) alert only when more severe. Alerts carry the strength and the
 *    cues that fired them ('loudness', 'pitch', 'tilt', 'absolute').
 * Every episode is emitted when it ends as a `raised_tone` measure: value = mean loudness rise over the
 * baseline in dB (0 without a baseline). The 'raisedTone' summary section lists the baselines and
 * episodes of every party.
 * Measured on real acted speech with `voc eval tone` (README); checked on espeak-ng speech: no alert on
 * calm calls, one loud syllable, a hot line, line noise and hum, music on hold (sox-synthesized).
 * Limits: what is not raised acoustically is not found (cold, quiet anger); a caller angry from the
 * first word is found only by the absolute rule until calm speech gives a baseline, and the absolute
 * rule depends on the channel's frequency response (a very bright line makes high voices "bright");
 * cross-talk leaking into a party's channel counts as that party's voice.
 */
import { Observable } from 'rxjs';
import type { AlertSeverity } from '../events/schema.js';
import type { FrameBatch } from '../audio/features/frame-analyzer.js';
import { frameStartMs } from '../audio/features/frame-analyzer.js';
import { partyFrames } from '../audio/features/party-frames.js';
import { UtteranceBaseline, hzToSemitones, medianOf, semitonesToHz, type VoicePoint } from './baseline.js';
import type { MeasuresOptions, RaisedToneOptions } from './measures-options.js';
import type { CallStreams, DetectedAlert, Detector, DetectorOutput } from './types.js';

const SEVERITIES: readonly AlertSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** What made a moment raised. */
export type RaisedToneCue = 'loudness' | 'pitch' | 'tilt' | 'absolute';

export interface RaisedToneEpisode {
  party: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Mean rise of the window medians over the baseline during the episode (null without a baseline). */
  loudnessRiseDb: number | null;
  pitchRiseSemitones: number | null;
  tiltRiseDb: number | null;
  /** Mean strength (score / threshold, >= 1 while raised) and its peak. */
  strength: number;
  peakStrength: number;
  cues: RaisedToneCue[];
  severity: AlertSeverity;
  /** False when the episode raised no alert (it fell in a cooldown without escalating). */
  alerted: boolean;
}

export interface RaisedTonePartySummary {
  /** Whether enough calm speech was heard to have a baseline. */
  baselineLearned: boolean;
  /** Baseline at the end of the call (null when not learned). */
  baselineDbfs: number | null;
  baselineF0Hz: number | null;
  baselineTiltDb: number | null;
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

/** Frame pairs needed before the steady-pitch share is judged (fewer: too few to tell music from a voice). */
const MIN_STEADY_PAIRS = 10;

/** The level range of a window is the spread between these quantiles of its voiced frame levels (p90 - p10). */
const LEVEL_RANGE_QUANTILE = 0.1;

/** A long calm utterance enters the baseline in pieces of this much voiced speech, ms. */
const BASELINE_PIECE_MS = 3000;

/** Running sums of one episode. */
class EpisodeStats {
  n = 0;
  loud = 0;
  pitch = 0;
  tilt = 0;
  strength = 0;
  peak = 0;
  cueUnits = [0, 0, 0];
  absolute = 0;

  reset(): void {
    this.n = this.loud = this.pitch = this.tilt = this.strength = this.peak = this.absolute = 0;
    this.cueUnits.fill(0);
  }
}

/** Raised-tone state machine of one party, fed frame by frame (allocation-free per frame). */
export class RaisedToneTracker {
  private readonly baseline: UtteranceBaseline;
  private readonly capacity: number;
  private readonly winTime: Float64Array;
  private readonly winLoud: Float32Array;
  private readonly winPitch: Float32Array;
  private readonly winTilt: Float32Array;
  /** The utterance's last voiced frames (steadyWindowMs): 0 first of a voiced run, 1 pitch moved from the previous frame's, 2 held steady. */
  private readonly recentSteps: Uint8Array;
  private recentAt = 0;
  private recentCount = 0;
  private recentPairs = 0;
  private recentSteady = 0;
  private readonly pieceLoud: Float32Array;
  private readonly piecePitch: Float32Array;
  private readonly pieceTilt: Float32Array;
  private readonly lin: Float32Array;
  private readonly scratch: Float32Array;
  private readonly window: VoicePoint = { loudnessDb: 0, pitchSemitones: 0, tiltDb: 0 };
  private readonly units = [0, 0, 0];
  /** Spread of the judged window's voiced frame levels (90th - 10th percentile), dB. */
  private levelRangeDb = 0;
  private head = 0;
  private count = 0;
  /** Frames of the baseline piece that follow a voiced frame, and those of them whose pitch held steady. */
  private piecePairs = 0;
  private pieceSteady = 0;
  private lastPitch = 0;
  private inUtterance = false;
  /** The current utterance turned out to be music (see maxSteadyPitchFraction): it is not judged. */
  private uttMusic = false;
  /** Voiced frames of the current utterance. */
  private uttFrames = 0;
  /** Voiced frames of the current baseline piece (the utterance, or its last 3 s when it is long). */
  private pieceFrames = 0;
  private pieceRaisedFrames = 0;
  /** Highest strength judged in the current piece. */
  private piecePeakStrength = 0;
  private state: State = 'idle';
  private lastVoicedEndMs = Number.NEGATIVE_INFINITY;
  private startMs = 0;
  private lastRaisedEndMs = 0;
  private evidenceMs = 0;
  private readonly stats = new EpisodeStats();
  private alertedRank = 0;
  private alertable = false;
  private lastAlertedEndMs = Number.NEGATIVE_INFINITY;
  private lastAlertedRank = 0;
  private voicedFrames = 0;
  private readonly episodes: RaisedToneEpisode[] = [];

  constructor(
    readonly party: string,
    private readonly options: RaisedToneOptions,
    private readonly frameMs: number,
  ) {
    this.baseline = new UtteranceBaseline({ capacity: options.baselineUtterances, learnMs: options.baselineLearnMs, quantile: options.baselineQuantile });
    this.capacity = Math.ceil(options.windowMs / frameMs) + 2;
    this.winTime = new Float64Array(this.capacity);
    this.winLoud = new Float32Array(this.capacity);
    this.winPitch = new Float32Array(this.capacity);
    this.winTilt = new Float32Array(this.capacity);
    this.recentSteps = new Uint8Array(Math.max(1, Math.ceil(options.steadyWindowMs / frameMs)));
    const pieceCapacity = Math.ceil(BASELINE_PIECE_MS / frameMs);
    this.pieceLoud = new Float32Array(pieceCapacity);
    this.piecePitch = new Float32Array(pieceCapacity);
    this.pieceTilt = new Float32Array(pieceCapacity);
    const scratch = Math.max(this.capacity, pieceCapacity);
    this.lin = new Float32Array(this.capacity);
    this.scratch = new Float32Array(scratch);
  }

  /**
   * One frame starting at `startMs`: its level (dBFS), F0 (Hz, 0 when unvoiced) and spectral tilt (dB).
   * Events are pushed to `out`.
   */
  frame(startMs: number, levelDb: number, f0Hz: number, tiltDb: number, out: RaisedToneEvent[]): void {
    const endMs = startMs + this.frameMs;
    if (f0Hz <= 0) {
      if (this.inUtterance && endMs - this.lastVoicedEndMs > this.options.releaseMs) this.endUtterance(out);
      return;
    }
    this.voicedFrames++;
    const pitch = hzToSemitones(f0Hz);
    // Follows a voiced frame (times are exact up to float noise): did the pitch hold steady?
    const follows = startMs - this.lastVoicedEndMs < this.frameMs / 2;
    const step = !follows ? 0 : Math.abs(pitch - this.lastPitch) < this.options.steadyPitchSemitones ? 2 : 1;
    this.lastPitch = pitch;
    this.lastVoicedEndMs = endMs;
    this.inUtterance = true;
    if (this.pieceFrames === this.pieceLoud.length) this.endPiece();
    this.pieceLoud[this.pieceFrames] = levelDb;
    this.piecePitch[this.pieceFrames] = pitch;
    this.pieceTilt[this.pieceFrames] = tiltDb;
    this.pieceFrames++;
    if (step > 0) this.piecePairs++;
    if (step === 2) this.pieceSteady++;
    this.uttFrames++;
    this.pushWindow(startMs, levelDb, pitch, tiltDb);
    this.pushStep(step);
    const { options } = this;
    // Held notes (music on hold, a tone) are not a voice: once the recent pitch holds steady like
    // music, nothing more of this utterance is judged (the 2 s window of speech that runs into music,
    // or of speech that follows music without a pause, mixes both).
    if (!this.uttMusic && isSteady(this.recentSteady, this.recentPairs, options.maxSteadyPitchFraction)) {
      this.uttMusic = true;
      if (this.state !== 'idle') this.close(out);
    }
    if (this.uttMusic || this.uttFrames * this.frameMs < options.minJudgedMs) return;

    const w = this.window;
    w.loudnessDb = this.windowMedian(this.winLoud);
    // windowMedian left the window's levels sorted in scratch: their spread costs two lookups.
    this.levelRangeDb = this.sortedSpread(LEVEL_RANGE_QUANTILE);
    w.pitchSemitones = this.windowMedian(this.winPitch);
    w.tiltDb = this.windowMedian(this.winTilt);
    const relative = this.relativeStrength(w);
    const absolute = this.absoluteStrength(w);
    const strength = Math.max(relative, absolute);
    if (strength > this.piecePeakStrength) this.piecePeakStrength = strength;
    const floor = this.state === 'idle' ? 1 : (options.scoreThreshold - options.scoreHysteresis) / options.scoreThreshold;
    if (strength < floor) {
      if (this.state !== 'idle') this.close(out);
      return;
    }
    this.pieceRaisedFrames++;
    if (this.state === 'idle') {
      this.state = 'candidate';
      this.startMs = this.winTime[this.head]!;
      this.evidenceMs = 0;
      this.stats.reset();
      this.alertedRank = 0;
    }
    this.lastRaisedEndMs = endMs;
    this.evidenceMs += this.frameMs * strength;
    this.addStats(w, strength, relative, absolute);
    if (this.state === 'candidate' && this.evidenceMs >= options.evidenceMs && this.stats.n * this.frameMs >= options.minRaisedMs) {
      this.state = 'episode';
      const inCooldown = this.startMs - this.lastAlertedEndMs < options.cooldownMs;
      this.alertable = !inCooldown || this.severityRank(endMs) > this.lastAlertedRank;
    }
    if (this.state === 'episode' && !this.alertable && this.severityRank(endMs) > this.lastAlertedRank) this.alertable = true;
    if (this.state === 'episode' && this.alertable) {
      const rank = this.severityRank(endMs);
      if (rank > this.alertedRank) {
        out.push({ type: 'alert', alert: this.alert(rank, endMs) });
        this.alertedRank = rank;
      }
    }
  }

  /** End of the party's audio: close a running utterance and episode. */
  finish(out: RaisedToneEvent[]): void {
    if (this.inUtterance) this.endUtterance(out);
  }

  summary(): RaisedTonePartySummary {
    const learned = this.baseline.ready;
    const b = this.baseline.point;
    return {
      baselineLearned: learned,
      baselineDbfs: learned ? round(b.loudnessDb, 1) : null,
      baselineF0Hz: learned ? round(semitonesToHz(b.pitchSemitones), 1) : null,
      baselineTiltDb: learned ? round(b.tiltDb, 1) : null,
      voicedMs: this.voicedFrames * this.frameMs,
      episodes: this.episodes.length,
      raisedMs: this.episodes.reduce((sum, e) => sum + e.durationMs, 0),
    };
  }

  get allEpisodes(): readonly RaisedToneEpisode[] {
    return this.episodes;
  }

  /** Relative score of `point` against `base` in capped units; the units per cue go to `units`. */
  private score(point: VoicePoint, base: Readonly<VoicePoint>, units: number[]): number {
    const { loudnessUnitDb, pitchUnitSemitones, tiltUnitDb, cueCapUnits } = this.options;
    units[0] = Math.min(cueCapUnits, (point.loudnessDb - base.loudnessDb) / loudnessUnitDb);
    units[1] = Math.min(cueCapUnits, (point.pitchSemitones - base.pitchSemitones) / pitchUnitSemitones);
    units[2] = Math.min(cueCapUnits, (point.tiltDb - base.tiltDb) / tiltUnitDb);
    return units[0]! + units[1]! + units[2]!;
  }

  /** Strength against the baseline: 0 without one, when the voice is not louder by `minLoudnessRiseDb`, or only louder. */
  private relativeStrength(point: VoicePoint): number {
    if (!this.baseline.ready) return 0;
    const score = this.score(point, this.baseline.point, this.units);
    if (point.loudnessDb - this.baseline.point.loudnessDb < this.options.minLoudnessRiseDb) return 0;
    // Louder alone is a hot line or a closer microphone, not a raised voice.
    if (this.units[1]! + this.units[2]! < this.options.minPitchTiltUnits) return 0;
    return score / this.threshold();
  }

  /** Score threshold against the baseline: higher while the baseline rests on few pieces (`youngBaselineUnits`, default off). */
  private threshold(): number {
    return this.options.scoreThreshold + this.options.youngBaselineUnits / Math.max(1, this.baseline.utterances);
  }

  /**
   * Baseline-free strength: a voice bright (tilt >= `absoluteTiltDb`), high (F0 >= `absoluteMinF0Hz`)
   * and with the level contrast of effortful speech (levels spread by >= `absoluteMinLevelRangeDb`)
   * is raised whatever the line's gain; >= 1 then, growing with the brightness. Brightness and pitch
   * alone also describe some speakers' ordinary voice (a bright, high calm voice); a shout also
   * stresses its syllables far above the rest of the speech, which a calm voice at its usual effort
   * does not.
   */
  private absoluteStrength(point: VoicePoint): number {
    const { absoluteTiltDb, absoluteMinF0Hz, absoluteMinLevelRangeDb, tiltUnitDb } = this.options;
    if (point.tiltDb < absoluteTiltDb || point.pitchSemitones < hzToSemitones(absoluteMinF0Hz)) return 0;
    if (this.levelRangeDb < absoluteMinLevelRangeDb) return 0;
    return 1 + (point.tiltDb - absoluteTiltDb) / tiltUnitDb;
  }

  private addStats(w: VoicePoint, strength: number, relative: number, absolute: number): void {
    const s = this.stats;
    s.n++;
    s.strength += strength;
    if (strength > s.peak) s.peak = strength;
    if (absolute >= 1 && absolute >= relative) s.absolute++;
    if (this.baseline.ready) {
      const b = this.baseline.point;
      s.loud += w.loudnessDb - b.loudnessDb;
      s.pitch += w.pitchSemitones - b.pitchSemitones;
      s.tilt += w.tiltDb - b.tiltDb;
      for (let i = 0; i < 3; i++) s.cueUnits[i]! += this.units[i]!;
    }
  }

  /** Cues of the episode so far: relative cues averaging at least half a unit, 'absolute' when that rule carried a frame. */
  private cues(): RaisedToneCue[] {
    const s = this.stats;
    const cues: RaisedToneCue[] = [];
    if (this.baseline.ready) {
      const names: RaisedToneCue[] = ['loudness', 'pitch', 'tilt'];
      for (let i = 0; i < 3; i++) if (s.cueUnits[i]! / s.n >= 0.5) cues.push(names[i]!);
    }
    if (s.absolute > 0) cues.push('absolute');
    return cues;
  }

  /** Index into SEVERITIES: low 1, medium 2, high 3, critical 4. */
  private severityRank(nowMs: number): number {
    const r = this.stats.strength / this.stats.n;
    let rank = r < 1.5 ? 1 : r < 2.5 ? 2 : 3;
    if (nowMs - this.startMs >= this.options.longEpisodeMs) rank++;
    return Math.min(rank, SEVERITIES.length - 1);
  }

  private rise(sum: number): number | null {
    return this.baseline.ready ? round(sum / this.stats.n, 1) : null;
  }

  private alert(rank: number, nowMs: number): DetectedAlert {
    const severity = SEVERITIES[rank]!;
    const index = this.episodes.length + 1;
    const s = this.stats;
    const b = this.baseline.point;
    const learned = this.baseline.ready;
    return {
      key: `raised_tone:${this.party}:${index}:${severity}`,
      kind: 'raised_tone',
      category: 'raised_tone',
      severity,
      party: this.party,
      startMs: this.startMs,
      endMs: nowMs,
      details: {
        strength: round(s.strength / s.n, 2),
        peakStrength: round(s.peak, 2),
        cues: this.cues(),
        loudnessRiseDb: this.rise(s.loud),
        pitchRiseSemitones: this.rise(s.pitch),
        tiltRiseDb: this.rise(s.tilt),
        f0Hz: round(semitonesToHz(this.window.pitchSemitones), 1),
        tiltDb: round(this.window.tiltDb, 1),
        baselineDbfs: learned ? round(b.loudnessDb, 1) : null,
        baselineF0Hz: learned ? round(semitonesToHz(b.pitchSemitones), 1) : null,
        durationMs: nowMs - this.startMs,
        escalation: this.alertedRank > 0,
      },
    };
  }

  /** The raised stretch ended: an episode when it gathered the evidence. */
  private close(out: RaisedToneEvent[]): void {
    if (this.state === 'episode') {
      const s = this.stats;
      const rank = this.severityRank(this.lastRaisedEndMs);
      const episode: RaisedToneEpisode = {
        party: this.party,
        startMs: this.startMs,
        endMs: this.lastRaisedEndMs,
        durationMs: this.lastRaisedEndMs - this.startMs,
        loudnessRiseDb: this.rise(s.loud),
        pitchRiseSemitones: this.rise(s.pitch),
        tiltRiseDb: this.rise(s.tilt),
        strength: round(s.strength / s.n, 2),
        peakStrength: round(s.peak, 2),
        cues: this.cues(),
        severity: SEVERITIES[rank]!,
        alerted: this.alertedRank > 0,
      };
      this.episodes.push(episode);
      if (episode.alerted) {
        this.lastAlertedEndMs = episode.endMs;
        this.lastAlertedRank = this.alertedRank;
      }
      out.push({ type: 'episode', episode });
    }
    this.state = 'idle';
  }

  /** End of an utterance: close its episode; a calm utterance joins the baseline. */
  private endUtterance(out: RaisedToneEvent[]): void {
    if (this.state !== 'idle') this.close(out);
    this.endPiece();
    this.inUtterance = false;
    this.uttMusic = false;
    this.uttFrames = 0;
    this.count = 0;
    this.recentAt = this.recentCount = this.recentPairs = this.recentSteady = 0;
  }

  /** A calm piece of speech (an utterance, or 3 s of a long one) joins the baseline. */
  private endPiece(): void {
    const { options } = this;
    const frames = this.pieceFrames;
    // Music does not enter the baseline either: it would hide the caller's raised voice afterwards.
    const calm =
      this.pieceRaisedFrames === 0 &&
      this.piecePeakStrength < options.baselineMaxStrength &&
      !this.uttMusic &&
      !isSteady(this.pieceSteady, this.piecePairs, options.maxSteadyPitchFraction);
    if (calm && frames * this.frameMs >= options.baselineMinUtteranceMs) {
      const point: VoicePoint = {
        loudnessDb: medianOf(this.pieceLoud, frames, this.scratch),
        pitchSemitones: medianOf(this.piecePitch, frames, this.scratch),
        tiltDb: medianOf(this.pieceTilt, frames, this.scratch),
      };
      this.baseline.add(point, frames * this.frameMs);
      this.baseline.prune((entry, base) => this.score(entry, base, this.units) >= options.scoreThreshold);
    }
    this.pieceFrames = 0;
    this.pieceRaisedFrames = 0;
    this.piecePeakStrength = 0;
    this.piecePairs = 0;
    this.pieceSteady = 0;
  }

  private pushWindow(startMs: number, loud: number, pitch: number, tilt: number): void {
    const slot = (this.head + this.count) % this.capacity;
    this.winTime[slot] = startMs;
    this.winLoud[slot] = loud;
    this.winPitch[slot] = pitch;
    this.winTilt[slot] = tilt;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
    const oldest = startMs + this.frameMs - this.options.windowMs;
    while (this.count > 0 && this.winTime[this.head]! < oldest) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** Record a voiced frame's pitch step in the recent ring, keeping its counts. */
  private pushStep(step: number): void {
    const ring = this.recentSteps;
    if (this.recentCount === ring.length) {
      const old = ring[this.recentAt]!;
      if (old > 0) this.recentPairs--;
      if (old === 2) this.recentSteady--;
    } else this.recentCount++;
    ring[this.recentAt] = step;
    this.recentAt = (this.recentAt + 1) % ring.length;
    if (step > 0) this.recentPairs++;
    if (step === 2) this.recentSteady++;
  }

  /** Spread between the (1 - q) and q quantiles (nearest rank) of the values windowMedian last sorted into scratch. */
  private sortedSpread(q: number): number {
    const last = this.count - 1;
    return this.scratch[Math.round(last * (1 - q))]! - this.scratch[Math.round(last * q)]!;
  }

  /** Median of one window column (ring order does not matter for a median); leaves the column sorted in scratch. */
  private windowMedian(column: Float32Array): number {
    for (let i = 0; i < this.count; i++) this.lin[i] = column[(this.head + i) % this.capacity]!;
    return medianOf(this.lin, this.count, this.scratch);
  }
}

/** Whether `steady` of `pairs` consecutive voiced frames held their pitch often enough to be music, not a voice. */
function isSteady(steady: number, pairs: number, maxFraction: number): boolean {
  return pairs >= MIN_STEADY_PAIRS && steady > maxFraction * pairs;
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
            measure: { measure: 'raised_tone', party: e.party, startMs: e.startMs, endMs: e.endMs, value: e.loudnessRiseDb ?? 0 },
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
          tracker.frame(startMs, batch.levelDb[i]!, batch.f0Hz[i]!, batch.tiltDb[i]!, events);
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
