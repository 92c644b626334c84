import { z } from 'zod';
import { driverBaseSchema, taxonomySchema } from '../voc/schema.js';

/**
 * The rule-file language (YAML or JSON). Shape follows Amazon Transcribe Call Analytics categories —
 * a category matches when ALL its rules match; each rule targets a party or both, may be negated
 * ("absent"), and may be limited to a time window — and adds wildcards, word lists, proximity,
 * any_of/all_of groups, ordering rules, and rules over acoustic/conversational measures.
 * Times are milliseconds from call start; percentages are of the call's duration.
 *
 * ```yaml
 * lists:
 *   forbidden_promises: [guaranteed, "i promise", "one hundred percent"]
 * categories:
 *   - name: recording-disclosure
 *     severity: high
 *     alert: false
 *     tags: [compliance]
 *     rules:
 *       - { type: phrase, party: agent, phrases: ["call may be recorded", "recorded for quality*"], window: { firstMs: 30000 } }
 * scorecard:
 *   checks:
 *     - { name: disclosure, category: recording-disclosure, weight: 2, deadlineMs: 30000 }
 * ```
 */

const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
const nameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
const partySchema = z.string().min(1).max(64);
/** Phrases; an entry `@name` stands for every phrase of the word list `name`. */
const phrasesSchema = z.array(z.string().min(1).max(200)).min(1).max(1000);

/**
 * A time window, one of: the first N ms, the last N ms, an absolute range, or the same in percent of
 * the call. Windows at the end of the call (`lastMs`) or relative to its length (`...Percent`) can
 * only be decided when the call has ended, because its length is unknown until then.
 */
export const windowSchema = z
  .object({
    firstMs: z.number().int().min(0).optional(),
    lastMs: z.number().int().min(0).optional(),
    startMs: z.number().int().min(0).optional(),
    endMs: z.number().int().min(0).optional(),
    firstPercent: z.number().min(0).max(100).optional(),
    lastPercent: z.number().min(0).max(100).optional(),
    startPercent: z.number().min(0).max(100).optional(),
    endPercent: z.number().min(0).max(100).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const forms = [
      w.firstMs !== undefined,
      w.lastMs !== undefined,
      w.startMs !== undefined || w.endMs !== undefined,
      w.firstPercent !== undefined,
      w.lastPercent !== undefined,
      w.startPercent !== undefined || w.endPercent !== undefined,
    ].filter(Boolean).length;
    if (forms !== 1) {
      ctx.addIssue({ code: 'custom', message: 'use exactly one of firstMs, lastMs, startMs/endMs, firstPercent, lastPercent, startPercent/endPercent' });
    }
    if (w.startMs !== undefined && w.endMs !== undefined && w.startMs > w.endMs) ctx.addIssue({ code: 'custom', path: ['endMs'], message: 'must be >= startMs' });
    if (w.startPercent !== undefined && w.endPercent !== undefined && w.startPercent > w.endPercent) {
      ctx.addIssue({ code: 'custom', path: ['endPercent'], message: 'must be >= startPercent' });
    }
  });
export type RuleWindow = z.infer<typeof windowSchema>;

const common = {
  /** Whose speech (or measures) counts; omitted = any party. */
  party: partySchema.optional(),
  /** Match when the thing is ABSENT (fewer than minCount occurrences in the window). */
  negate: z.boolean().default(false),
  window: windowSchema.optional(),
};

export const phraseRuleSchema = z
  .object({
    type: z.literal('phrase'),
    phrases: phrasesSchema,
    /** Occurrences needed (finals; partials may add tentative ones). */
    minCount: z.number().int().min(1).max(1000).default(1),
    ...common,
  })
  .strict();

export const proximityRuleSchema = z
  .object({
    type: z.literal('proximity'),
    phrases: phrasesSchema,
    /** Must occur in the same utterance with at most `withinWords` words between. */
    near: phrasesSchema,
    withinWords: z.number().int().min(0).max(50),
    /** `phrases` must come before `near`. */
    ordered: z.boolean().default(false),
    minCount: z.number().int().min(1).max(1000).default(1),
    ...common,
  })
  .strict();

const orderSideSchema = z.object({ phrases: phrasesSchema, party: partySchema.optional() }).strict();

export const orderRuleSchema = z
  .object({
    type: z.literal('order'),
    before: orderSideSchema,
    after: orderSideSchema,
    /** true: match when `after` occurs WITHOUT `before` having been said first. */
    negate: z.boolean().default(false),
    window: windowSchema.optional(),
  })
  .strict();

/**
 * A rule over the measures the acoustic/conversational detectors emit. Values are theirs:
 * raised_tone = loudness rise over the party's baseline in dB (emitted when the episode ends),
 * silence and overtalk = duration in ms (overtalk: `party` talked over `interruptedParty`),
 * sentiment = -1..1 per utterance, talk_speed = words per minute per utterance.
 */
export const measureRuleSchema = z
  .object({
    type: z.literal('measure'),
    measure: z.enum(['raised_tone', 'silence', 'overtalk', 'sentiment', 'talk_speed']),
    /** For overtalk: only when this party was interrupted. */
    interruptedParty: partySchema.optional(),
    /** The measure's value must be >= min ... */
    min: z.number().optional(),
    /** ... and <= max. */
    max: z.number().optional(),
    /** The measured stretch must last at least this long. */
    minDurationMs: z.number().int().min(0).optional(),
    minCount: z.number().int().min(1).max(1000).default(1),
    ...common,
  })
  .strict()
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, { message: 'min must be <= max', path: ['max'] });

export type PhraseRule = z.infer<typeof phraseRuleSchema>;
export type ProximityRule = z.infer<typeof proximityRuleSchema>;
export type OrderRule = z.infer<typeof orderRuleSchema>;
export type MeasureRule = z.infer<typeof measureRuleSchema>;
export interface GroupRule {
  type: 'any_of' | 'all_of';
  rules: Rule[];
  negate: boolean;
}
export type Rule = PhraseRule | ProximityRule | OrderRule | MeasureRule | GroupRule;

// Recursive: a group holds rules, which may be groups.
export const ruleSchema: z.ZodType<Rule> = z.lazy(() =>
  z.discriminatedUnion('type', [
    phraseRuleSchema,
    proximityRuleSchema,
    orderRuleSchema,
    measureRuleSchema,
    z.object({ type: z.literal('any_of'), rules: z.array(ruleSchema).min(1), negate: z.boolean().default(false) }).strict(),
    z.object({ type: z.literal('all_of'), rules: z.array(ruleSchema).min(1), negate: z.boolean().default(false) }).strict(),
  ]),
);

export const categorySchema = z
  .object({
    name: nameSchema,
    description: z.string().max(1000).optional(),
    severity: severitySchema.default('medium'),
    /** Alert supervisors (alert kind 'category') when the category matches. */
    alert: z.boolean().default(false),
    /** Tags applied to the call when the category matches (the category name is always applied). */
    tags: z.array(z.string().min(1).max(100)).default([]),
    /** ALL must match. */
    rules: z.array(ruleSchema).min(1).max(100),
  })
  .strict();
export type Category = z.infer<typeof categorySchema>;

export const scorecardCheckSchema = z
  .object({
    name: nameSchema,
    description: z.string().max(1000).optional(),
    weight: z.number().positive().max(1000).default(1),
    /** The check is about this category ... */
    category: nameSchema.optional(),
    /** ... or about these rules (all must match), written inline. */
    rules: z.array(ruleSchema).min(1).max(100).optional(),
    /** 'match': passes when the category matches; 'no_match': passes when it does not (forbidden things). */
    expect: z.enum(['match', 'no_match']).default('match'),
    /** Not applicable unless this category matched (e.g. account details were read out). */
    applicableIf: nameSchema.optional(),
    /**
     * For expect 'match': alert the supervisor live (kind 'compliance') when the check is still not
     * met this far into the call, while it can still be fixed.
     */
    deadlineMs: z.number().int().min(0).optional(),
    /** Alert live (kind 'compliance') when an expect 'no_match' check is violated. */
    alertOnViolation: z.boolean().default(true),
    severity: severitySchema.default('high'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.category === undefined) === (c.rules === undefined)) ctx.addIssue({ code: 'custom', path: ['category'], message: 'give exactly one of category or rules' });
    if (c.deadlineMs !== undefined && c.expect !== 'match') ctx.addIssue({ code: 'custom', path: ['deadlineMs'], message: "only for expect 'match'" });
  });
export type ScorecardCheck = z.infer<typeof scorecardCheckSchema>;

export const scorecardSchema = z
  .object({
    name: nameSchema.default('default'),
    checks: z.array(scorecardCheckSchema).min(1).max(200),
  })
  .strict();
export type Scorecard = z.infer<typeof scorecardSchema>;

/** A call driver (docs/voc.md): recognized by a category or by inline rules. */
export const driverSchema = driverBaseSchema
  .extend({
    /** Recognized when this category matches ... */
    category: nameSchema.optional(),
    /** ... or when these rules all match (written like a category's). */
    rules: z.array(ruleSchema).min(1).max(100).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if ((d.category === undefined) === (d.rules === undefined)) ctx.addIssue({ code: 'custom', path: ['category'], message: 'give exactly one of category or rules' });
  });
export type Driver = z.infer<typeof driverSchema>;

export const ruleFileSchema = z
  .object({
    version: z.literal(1).default(1),
    /** Named word lists, referenced from phrases as `@name`. */
    lists: z.record(nameSchema, z.array(z.string().min(1).max(200)).min(1).max(10_000)).default({}),
    categories: z.array(categorySchema).max(1000).default([]),
    scorecard: scorecardSchema.optional(),
    /** Allowed values of the drivers' dimensions (one file declares it). */
    taxonomy: taxonomySchema.optional(),
    drivers: z.array(driverSchema).max(1000).default([]),
  })
  .strict();
export type RuleFile = z.infer<typeof ruleFileSchema>;
