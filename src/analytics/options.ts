import { z } from 'zod';

/** Analytics options (rules, scorecard, measures). Owned by the analytics layer; see README "Analytics". */
export const analyticsOptionsSchema = z
  .object({
    /** Rule files (YAML/JSON), reloaded on change. */
    rulesFiles: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type AnalyticsOptions = z.infer<typeof analyticsOptionsSchema>;
