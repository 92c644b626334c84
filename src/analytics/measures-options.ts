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
    maxF0Hz: z.number().min(150).max(800).default(400),
    /** YIN dip threshold for choosing the period. */
    yinThreshold: z.number().gt(0).lt(1).default(0.15),
    /** Voiced when the YIN aperiodicity at the chosen period is below this. */
    voicingThreshold: z.number().gt(0).lt(1).default(0.35),
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
    /** Which rises count: both loudness and pitch, either one, or only one of them. */
    require: z.enum(['both', 'either', 'loudness', 'pitch']).default('both'),
    /** Loudness rise over the speaker's baseline that starts an episode, dB. */
    loudnessMarginDb: z.number().gt(0).max(40).default(6),
    /** Pitch rise over the speaker's baseline that starts an episode, semitones. */
    pitchMarginSemitones: z.number().gt(0).max(24).default(2),
    /** Hysteresis: an episode lasts until loudness falls below (margin - this), dB... */
    loudnessHysteresisDb: z.number().min(0).max(20).default(2),
    /** ...or pitch below (margin - this), semitones. */
    pitchHysteresisSemitones: z.number().min(0).max(12).default(1),
    /** Sliding window of voiced frames whose medians are compared with the baseline, ms. */
    windowMs: z.number().int().min(200).max(10_000).default(1000),
    /** The window needs at least this share of voiced frames to be judged. */
    minVoicedShare: z.number().gt(0).max(1).default(0.25),
    /** Time above the margins before an alert, ms (a single loud word is shorter). */
    minDurationMs: z.number().int().min(0).max(60_000).default(2000),
    /** An episode (or a candidate) ends after this long without voiced speech, ms. */
    releaseMs: z.number().int().min(100).max(60_000).default(2000),
    /** After an episode ends, further episodes of that party within this time do not alert, ms. */
    cooldownMs: z.number().int().min(0).max(3_600_000).default(20_000),
    /** Voiced speech of a party used to learn its baseline before anything is judged, ms. */
    baselineLearnMs: z.number().int().min(500).max(120_000).default(4000),
    /** After learning, the baseline follows the speaker's median at most this fast (per second of voiced speech). */
    baselineAdaptDbPerSec: z.number().min(0).max(10).default(0.3),
    baselineAdaptSemitonesPerSec: z.number().min(0).max(10).default(0.1),
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
