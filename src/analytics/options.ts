import { z } from 'zod';
import { measuresOptionsSchema } from './measures-options.js';

/**
 * Analytics options (keywords, rules, scorecard, redaction). Owned by the analytics layer; see README
 * "Analytics". Durations are milliseconds.
 */

export const redactionOptionsSchema = z
  .object({
    /** Mask long numbers (cards, accounts, national IDs, phone numbers) in every published transcript. */
    enabled: z.boolean().default(true),
    /** A run of spoken digits (digit tokens or number words) totalling at least this many digits is masked. */
    minDigits: z.number().int().min(2).max(64).default(6),
    /**
     * A run that ends one final utterance continues into the next utterance of the same party when
     * the pause between them is at most this long (people pause while reading a card number).
     */
    joinGapMs: z.number().int().min(0).default(2000),
    /**
     * A final that ends in a number too short to mask is held back until the number is known to be
     * complete; when the party says nothing new for this long (wall clock), it is released with the
     * number masked.
     */
    holdMs: z.number().int().min(100).max(60_000).default(3000),
    /** Replaces each masked word in `text` and `words` (timings are kept). */
    mask: z.string().min(1).max(32).default('[redacted]'),
  })
  .strict();

export const keywordOptionsSchema = z
  .object({
    /** Raise tentative keyword alerts from partials that carry word timings. */
    partials: z.boolean().default(true),
    /** Occurrences listed per category in the summary (all are counted). */
    maxOccurrencesPerCategory: z.number().int().min(0).max(10_000).default(100),
  })
  .strict();

export const ruleOptionsSchema = z
  .object({
    /** Raise tentative category alerts from partials that carry word timings. */
    partials: z.boolean().default(true),
    /**
     * How long after the audio has passed the end of a window the rules wait for the recognizer's
     * final results before deciding it (absence, deadlines). An utterance still open (partials,
     * no final yet) that began inside the window also keeps it open.
     */
    decisionLagMs: z.number().int().min(0).max(60_000).default(2000),
    /** Evidence items kept per category match and scorecard check. */
    maxEvidence: z.number().int().min(1).max(1000).default(20),
    /** Occurrences kept per rule and call (a bound on memory in very long calls); later ones are ignored. */
    maxHitsPerRule: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Debounce of rule-file change events before a reload. */
    reloadDebounceMs: z.number().int().min(0).max(60_000).default(250),
  })
  .strict();

export const scorecardOptionsSchema = z
  .object({
    /** Score the call when the rule files define a scorecard. */
    enabled: z.boolean().default(true),
    /** Weighted score (0..100) at or above which the summary marks the call as passed. */
    passScore: z.number().min(0).max(100).default(80),
  })
  .strict();

export const analyticsOptionsSchema = z
  .object({
    /**
     * Acoustic and conversational measures, categories and the scorecard. Off: only keyword alerts
     * and redaction run (the backbone), e.g. to measure what analytics cost.
     */
    enabled: z.boolean().default(true),
    measures: measuresOptionsSchema.default(measuresOptionsSchema.parse({})),
    /** Rule files (YAML or JSON: categories, word lists, scorecard), reloaded on change. */
    rulesFiles: z.array(z.string().min(1)).default([]),
    redaction: redactionOptionsSchema.default(redactionOptionsSchema.parse({})),
    keywords: keywordOptionsSchema.default(keywordOptionsSchema.parse({})),
    rules: ruleOptionsSchema.default(ruleOptionsSchema.parse({})),
    scorecard: scorecardOptionsSchema.default(scorecardOptionsSchema.parse({})),
  })
  .strict();

export type AnalyticsOptions = z.infer<typeof analyticsOptionsSchema>;
export type RedactionOptions = z.infer<typeof redactionOptionsSchema>;
export type KeywordOptions = z.infer<typeof keywordOptionsSchema>;
export type RuleOptions = z.infer<typeof ruleOptionsSchema>;
export type ScorecardOptions = z.infer<typeof scorecardOptionsSchema>;
