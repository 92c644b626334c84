import { z } from 'zod';

/** Spike detection (docs/voc.md "Spikes"). Counts are calls; times milliseconds. */
export const spikeOptionsSchema = z
  .object({
    /** Evaluate spikes on this instance (only the lease holder evaluates at a time). */
    enabled: z.boolean().default(true),
    /** How often an instance checks whether a bucket has completed and evaluates it. */
    evaluateIntervalMs: z.number().int().min(100).max(3_600_000).default(5000),
    /** The evaluating instance's lease; another instance takes over this long after it stops renewing. */
    leaseMs: z.number().int().min(1000).max(3_600_000).default(30_000),
    /** The recent window compared against the expected rate, in buckets. */
    windowBuckets: z.number().int().min(1).max(60).default(2),
    /** Trailing baseline: this many buckets before the window (used until seasonal history exists). */
    baselineBuckets: z.number().int().min(1).max(10_000).default(60),
    /** Seasonal baseline: the same hour of day on up to this many previous days ... */
    seasonDays: z.number().int().min(1).max(35).default(7),
    /** ... used once at least this many of them have calls. */
    seasonMinDays: z.number().int().min(1).max(35).default(3),
    /** A baseline with fewer calls than this is not trusted: nothing is evaluated. */
    minBaselineCalls: z.number().int().min(1).default(50),
    /** Significance: the Poisson upper tail P(X >= observed | expected) must be at most this. */
    alpha: z.number().positive().max(0.5).default(1e-6),
    /** At least this many calls of the series in the window (a quiet queue's 1 -> 3 is no spike). */
    minCount: z.number().int().min(1).default(10),
    /** ... and at least this multiple of the expected count. */
    minRatio: z.number().min(1).default(2),
    /** The episode ends after `endAfterBuckets` evaluations with observed <= endRatio x expected. */
    endRatio: z.number().min(1).default(1.5),
    endAfterBuckets: z.number().int().min(1).max(1000).default(3),
    /** Example call ids attached to a spike. */
    exampleCalls: z.number().int().min(0).max(50).default(5),
  })
  .strict();

/** The cross-call layer (drivers aggregation, spikes, department streams). */
export const vocOptionsSchema = z
  .object({
    /** Count calls per bucket in Redis and watch for spikes. Drivers are recognized per call either way. */
    enabled: z.boolean().default(true),
    /** Aggregation bucket. */
    bucketMs: z.number().int().min(1000).max(3_600_000).default(60_000),
    /** Bucket counts and example lists expire after this. */
    bucketRetentionMs: z.number().int().min(60_000).default(2 * 24 * 3_600_000),
    /** Hourly counts, spikes and department streams expire after this (trends, seasonality, history). */
    hourRetentionMs: z.number().int().min(3_600_000).default(35 * 24 * 3_600_000),
    /** Approximate cap (XADD MAXLEN ~) of each department stream. */
    departmentStreamMaxLen: z.number().int().min(10).default(100_000),
    /** Spikes kept in the history (oldest dropped). */
    spikeHistoryMax: z.number().int().min(10).max(1_000_000).default(10_000),
    spikes: spikeOptionsSchema.default(spikeOptionsSchema.parse({})),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.spikes.enabled && o.bucketRetentionMs < (o.spikes.baselineBuckets + o.spikes.windowBuckets + 1) * o.bucketMs) {
      ctx.addIssue({ code: 'custom', path: ['bucketRetentionMs'], message: 'must cover spikes.baselineBuckets + spikes.windowBuckets + 1 buckets' });
    }
    if (o.spikes.seasonMinDays > o.spikes.seasonDays) ctx.addIssue({ code: 'custom', path: ['spikes', 'seasonMinDays'], message: 'must be <= seasonDays' });
    if (o.hourRetentionMs < o.spikes.seasonDays * 24 * 3_600_000 + 3_600_000) ctx.addIssue({ code: 'custom', path: ['hourRetentionMs'], message: 'must cover spikes.seasonDays days' });
  });

export type VocOptions = z.infer<typeof vocOptionsSchema>;
export type SpikeOptions = z.infer<typeof spikeOptionsSchema>;
