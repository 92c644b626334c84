import { z } from 'zod';

/**
 * Options of the acoustic and conversational measures (frame features, raised tone, silence,
 * overtalk, talk speed, sentiment, emotion curve). Durations in ms, levels in dB, pitch in semitones.
 */

const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);

export const frameFeaturesSchema = z
  .object({
    /** Frame hop, ms. */
    frameMs: z.number().int().min(10).max(20).default(20),
    /** Pitch analysis window ending at each frame's end, ms (must cover two periods of minF0Hz). */
    pitchWindowMs: z.number().int().min(20).max(80).default(40),
    minF0Hz: z.number().min(50).max(200).default(70),
    maxF0Hz: z.number().min(150).max(1000).default(1000),
    /** YIN dip threshold for choosing the period. */
    yinThreshold: z.number().gt(0).lt(1).default(0.15),
    /** Voiced when the YIN aperiodicity at the chosen period is below this. */
    voicingThreshold: z.number().gt(0).lt(1).default(0.35),
    /**
     * A periodic frame with a spectral spread (m0*m2/m1^2, 1 for a sine) below this is a pure tone
     * (beep, test tone, SIT tone), not a voice, and counts as unvoiced. Real speech stays above ~1.02 (spread.ts).
     */
    pureToneMaxSpread: z.number().min(1).max(1.5).default(1.03),
    /** Energy gate: a frame is active this many dB above the adaptive noise floor... */
    vadMarginDb: z.number().min(3).max(40).default(10),
    /** ...and at least this loud, dBFS. */
    vadMinDbfs: z.number().min(-90).max(-10).default(-55),
    /** The noise floor rises at most this fast through active frames, dB per second. */
    vadFloorRiseDbPerSec: z.number().gt(0).max(20).default(1),
    /** Time constant of the noise floor falling to quieter frames, ms. */
    vadFloorFallMs: z.number().int().min(10).max(10_000).default(100),
    /** The noise floor is at least the quietest frame level of this much recent audio, ms. */
    vadFloorWindowMs: z.number().int().min(500).max(30_000).default(2000),
  })
  .strict()
  .refine((o) => o.maxF0Hz > o.minF0Hz, { message: 'maxF0Hz must exceed minF0Hz' })
  .refine((o) => o.pitchWindowMs >= (2000 / o.minF0Hz) * 0.75, {
    message: 'pitchWindowMs is too short for minF0Hz (needs about 1.5 periods)',
  });

export const raisedToneSchema = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * Rise over the speaker's baseline that counts as one unit of evidence, per cue: loudness (dB),
     * pitch (semitones) and spectral tilt (dB, a brighter, strained voice). The score of a moment is
     * the sum of the three rises in units, each capped at `cueCapUnits`.
     */
    loudnessUnitDb: z.number().gt(0).max(40).default(6),
    pitchUnitSemitones: z.number().gt(0).max(24).default(3),
    tiltUnitDb: z.number().gt(0).max(20).default(2),
    /** No single cue counts for more than this many units (a hot line alone is not anger). */
    cueCapUnits: z.number().gt(0).max(10).default(1.5),
    /** A moment is raised when its score reaches this many units... */
    scoreThreshold: z.number().gt(0).max(20).default(1.25),
    /** A raise relative to the baseline also needs the voice to be at least this much louder, dB. */
    minLoudnessRiseDb: z.number().min(0).max(40).default(9),
    /** ...and pitch and tilt together to rise by at least this many units (louder alone is not raised). */
    minPitchTiltUnits: z.number().min(0).max(10).default(0.3),
    /** While the baseline rests on n utterances, the threshold is higher by this / n units (a young baseline is uncertain). */
    youngBaselineUnits: z.number().min(0).max(10).default(0),
    /** ...and stays raised while it is above the threshold minus this. */
    scoreHysteresis: z.number().min(0).max(10).default(0.5),
    /**
     * Without a baseline (or above it), a voice both bright and high is raised in absolute terms:
     * tilt >= `absoluteTiltDb` AND F0 >= `absoluteMinF0Hz`. Neither depends on line gain.
     */
    absoluteTiltDb: z.number().min(-30).max(10).default(-5.5),
    absoluteMinF0Hz: z.number().min(50).max(1000).default(230),
    /**
     * ...AND the window's voiced frame levels spread by at least this much (90th - 10th percentile,
     * dB; gain-independent): a shout stresses its syllables far above the rest, a calm voice that is
     * merely bright and high does not. 0: no such condition.
     */
    absoluteMinLevelRangeDb: z.number().min(0).max(60).default(15),
    /**
     * Music is not a voice: a note holds its pitch, a voice glides. When more than this share of the
     * utterance's last `steadyWindowMs` of voiced frames keep the previous frame's pitch within
     * `steadyPitchSemitones`, the rest of the utterance is not judged, and a baseline piece that steady
     * is not learned. RAVDESS speech, any 600 ms: at most 0.69 shouted, 0.96 calm (monotone calm
     * speech is then not judged, which costs nothing); synthetic instrument music: 0.99-1.
     */
    maxSteadyPitchFraction: z.number().gt(0).max(1).default(0.85),
    steadyPitchSemitones: z.number().gt(0).max(2).default(0.15),
    steadyWindowMs: z.number().int().min(100).max(10_000).default(600),
    /** Sliding window of the utterance's voiced frames whose medians are judged, ms. */
    windowMs: z.number().int().min(200).max(10_000).default(2000),
    /** Nothing is judged until the utterance has this much voiced speech, ms. */
    minJudgedMs: z.number().int().min(20).max(5000).default(300),
    /**
     * Evidence for an alert, in ms of raised voiced speech at the threshold score: each raised frame
     * counts its duration times (score / threshold), so a strong raise alerts sooner than a mild one.
     */
    evidenceMs: z.number().int().min(20).max(60_000).default(500),
    /** ...and at least this much raised voiced speech, whatever the strength (one loud word is shorter), ms. */
    minRaisedMs: z.number().int().min(0).max(60_000).default(0),
    /** A pause without voiced speech this long ends an utterance (and its episode), ms. */
    releaseMs: z.number().int().min(100).max(60_000).default(700),
    /**
     * After an alerted episode ends, a new episode of the same party within this time alerts only
     * when it is more severe (escalation), ms. 0: every raised utterance alerts.
     */
    cooldownMs: z.number().int().min(0).max(3_600_000).default(0),
    /** The baseline: this quantile of the medians of the last `baselineUtterances` calm utterances of the party... */
    baselineQuantile: z.number().min(0).max(1).default(0.75),
    baselineUtterances: z.number().int().min(1).max(100).default(12),
    /** ...with at least this much voiced speech among them before it is used, ms. */
    baselineLearnMs: z.number().int().min(200).max(120_000).default(1500),
    /** Utterances whose strength reached this (a near-raise) do not enter the baseline. */
    baselineMaxStrength: z.number().gt(0).max(10).default(0.7),
    /** Utterances shorter than this (voiced) do not enter the baseline, ms. */
    baselineMinUtteranceMs: z.number().int().min(20).max(10_000).default(300),
    /** Episodes this long are one severity step higher, ms. */
    longEpisodeMs: z.number().int().min(1000).default(10_000),
  })
  .strict();

export const silenceSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Raise a 'silence' alert for dead air longer than alertMinMs. */
    alert: z.boolean().default(true),
    /** Dead air (every party silent) longer than this is alerted, ms. */
    alertMinMs: z.number().int().min(500).default(5000),
    /** Dead air longer than this is emitted as a measure and counted in the summary, ms. */
    measureMinMs: z.number().int().min(200).default(2000),
    severity: severity.default('low'),
  })
  .strict()
  .refine((o) => o.alertMinMs >= o.measureMinMs, { message: 'alertMinMs must be >= measureMinMs' });

export const overtalkSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Raise an 'overtalk' alert for each counted overtalk. */
    alert: z.boolean().default(false),
    /** Two or more parties speaking at once longer than this counts as overtalk, ms. */
    minMs: z.number().int().min(100).default(1000),
    severity: severity.default('low'),
  })
  .strict();

export const talkActivitySchema = z
  .object({
    /** A talk spurt needs this much active audio to start, ms (clicks and short noises are not talk). */
    minSpurtMs: z.number().int().min(0).max(2000).default(100),
    /** A talk spurt lasts this long past the last active frame, ms (bridges syllable gaps). */
    hangoverMs: z.number().int().min(0).max(2000).default(250),
    /** A party whose audio lags more than this behind another is taken as silent meanwhile, ms. */
    maxPartySkewMs: z.number().int().min(1000).max(600_000).default(10_000),
  })
  .strict();

export const talkSpeedSchema = z
  .object({
    /** Utterances with fewer words give no talk-speed measure. */
    minWords: z.number().int().min(1).default(3),
    /** Pauses between words longer than this are not speaking time, ms. */
    maxPauseMs: z.number().int().min(100).default(1000),
  })
  .strict();

export const sentimentSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** A party's trend is improving/worsening when its fitted change over the call exceeds this (score range -1..1). */
    trendMinDelta: z.number().gt(0).max(2).default(0.2),
    /** A trend needs at least this many scored utterances of the party. */
    trendMinUtterances: z.number().int().min(2).default(3),
  })
  .strict();

export const emotionStageSchema = z
  .object({
    name: z.string().min(1),
    /** Stage ends at this fraction of the call's duration (the last stage must end at 1). */
    endFraction: z.number().gt(0).max(1),
  })
  .strict();

export const emotionCurveSchema = z
  .object({
    enabled: z.boolean().default(true),
    stages: z
      .array(emotionStageSchema)
      .min(1)
      .default([
        { name: 'opening', endFraction: 0.2 },
        { name: 'middle', endFraction: 0.8 },
        { name: 'closing', endFraction: 1 },
      ])
      .refine((s) => s.every((st, i) => i === 0 || st.endFraction > s[i - 1]!.endFraction), {
        message: 'stage endFraction must increase',
      })
      .refine((s) => s[s.length - 1]?.endFraction === 1, { message: 'the last stage must end at 1' }),
    /** Each raised-tone episode of a party in a stage lowers that party's stage score by this (1-5 scale)... */
    raisedTonePenalty: z.number().min(0).max(4).default(1),
    /** ...up to this much in total. */
    maxRaisedTonePenalty: z.number().min(0).max(4).default(2),
  })
  .strict();

export const measuresOptionsSchema = z
  .object({
    frames: frameFeaturesSchema.default(frameFeaturesSchema.parse({})),
    raisedTone: raisedToneSchema.default(raisedToneSchema.parse({})),
    silence: silenceSchema.default(silenceSchema.parse({})),
    overtalk: overtalkSchema.default(overtalkSchema.parse({})),
    talk: talkActivitySchema.default(talkActivitySchema.parse({})),
    talkSpeed: talkSpeedSchema.default(talkSpeedSchema.parse({})),
    sentiment: sentimentSchema.default(sentimentSchema.parse({})),
    emotionCurve: emotionCurveSchema.default(emotionCurveSchema.parse({})),
  })
  .strict();

export type MeasuresOptions = z.infer<typeof measuresOptionsSchema>;
export type FrameFeaturesOptions = z.infer<typeof frameFeaturesSchema>;
export type RaisedToneOptions = z.infer<typeof raisedToneSchema>;
export type SilenceOptions = z.infer<typeof silenceSchema>;
export type OvertalkOptions = z.infer<typeof overtalkSchema>;
export type TalkActivityOptions = z.infer<typeof talkActivitySchema>;
export type TalkSpeedOptions = z.infer<typeof talkSpeedSchema>;
export type SentimentOptions = z.infer<typeof sentimentSchema>;
export type EmotionCurveOptions = z.infer<typeof emotionCurveSchema>;

/** Defaults of every measure, for tests and callers without a config. */
export function defaultMeasuresOptions(): MeasuresOptions {
  return measuresOptionsSchema.parse({});
}
