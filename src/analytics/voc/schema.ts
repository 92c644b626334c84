import { z } from 'zod';

/**
 * Voice of the Customer: the drivers taxonomy, written in rule files next to categories (so it is
 * validated, checked by `voc rules check` and hot-reloaded with them). See docs/voc.md.
 *
 * ```yaml
 * taxonomy:
 *   businessType: { mobile: 移动业务, broadband: 宽带 }
 *   system: { billing: 计费系统 }
 *   network: { roaming: 国际漫游 }
 *   department: { billing: 计费部, marketing: 市场部 }
 * drivers:
 *   - id: roaming-bill-shock
 *     name: 漫游账单过高
 *     priority: 80
 *     dimensions: { businessType: mobile, system: billing, network: roaming, department: billing }
 *     rules:
 *       - { type: phrase, party: customer, phrases: ["roaming charge*", "bill* too high"] }
 * ```
 */

/** The knowledge-map dimensions a driver is placed on; `department` (the owner) is required. */
export const DRIVER_DIMENSIONS = ['businessType', 'system', 'network', 'department'] as const;
export type DriverDimension = (typeof DRIVER_DIMENSIONS)[number];

/** The driver of a call that matched none: counted like any driver, owned by no department. */
export const UNCLASSIFIED = 'unclassified';

/** Driver ids, dimension values: they become Redis hash fields, tags and Prometheus label values. */
export const taxonomyIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits and _ . - only');

/** Display names in any language (Chinese included). */
const displayNameSchema = z.string().min(1).max(200);

/** Allowed values of one dimension: value id -> display name. */
const dimensionValuesSchema = z.record(taxonomyIdSchema, displayNameSchema).refine((r) => Object.keys(r).length <= 500, 'at most 500 values');

export const taxonomySchema = z
  .object({
    businessType: dimensionValuesSchema.default({}),
    system: dimensionValuesSchema.default({}),
    network: dimensionValuesSchema.default({}),
    department: dimensionValuesSchema.refine((r) => Object.keys(r).length > 0, 'declare at least one department'),
  })
  .strict();
export type Taxonomy = z.infer<typeof taxonomySchema>;

/**
 * A driver without its recognition part: the rule file's driver entry (src/analytics/rules/schema.ts)
 * adds `category` or `rules` in the rule language, so this module does not depend on the rules.
 */
export const driverBaseSchema = z.object({
  id: taxonomyIdSchema.refine((id) => id !== UNCLASSIFIED, `"${UNCLASSIFIED}" is reserved for calls no driver matched`),
  /** Display name, any language. */
  name: displayNameSchema,
  description: z.string().max(1000).optional(),
  /** When several drivers match, the highest priority is the call's primary driver (ties: file order). */
  priority: z.number().int().min(0).max(1_000_000).default(0),
  dimensions: z
    .object({
      businessType: taxonomyIdSchema.optional(),
      system: taxonomyIdSchema.optional(),
      network: taxonomyIdSchema.optional(),
      department: taxonomyIdSchema,
    })
    .strict(),
});
export type DriverDimensions = z.infer<typeof driverBaseSchema>['dimensions'];
