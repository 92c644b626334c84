import { DRIVER_DIMENSIONS, UNCLASSIFIED, type DriverDimensions, type Taxonomy } from './schema.js';

/** A driver as the engine uses it: recognized when `category` matches (a hidden `driver:<id>` one for inline rules). */
export interface CompiledDriver {
  id: string;
  name: string;
  description?: string;
  priority: number;
  dimensions: DriverDimensions;
  category: string;
  /** File it came from. */
  source: string;
  /** Position across all files: breaks priority ties (earlier first). */
  order: number;
}

/** The hidden category that holds a driver's inline rules. */
export function driverCategoryName(driverId: string): string {
  return `driver:${driverId}`;
}

/** Problems with a driver's dimension values: each must be declared in the taxonomy. */
export function dimensionIssues(dimensions: DriverDimensions, taxonomy: Taxonomy | undefined): Array<{ field: string; message: string }> {
  const issues: Array<{ field: string; message: string }> = [];
  for (const dim of DRIVER_DIMENSIONS) {
    const value = dimensions[dim];
    if (value === undefined) continue;
    if (!taxonomy) {
      issues.push({ field: `dimensions.${dim}`, message: 'no taxonomy declares the allowed values (add a `taxonomy:` section)' });
      continue;
    }
    if (!Object.hasOwn(taxonomy[dim], value)) {
      const allowed = Object.keys(taxonomy[dim]);
      issues.push({ field: `dimensions.${dim}`, message: `"${value}" is not a declared ${dim}${allowed.length ? ` (allowed: ${allowed.slice(0, 20).join(', ')})` : ' (none declared)'}` });
    }
  }
  return issues;
}

/** Display name of a dimension value, or the value itself. */
export function dimensionName(taxonomy: Taxonomy | undefined, dim: keyof Taxonomy, value: string): string {
  return taxonomy && Object.hasOwn(taxonomy[dim], value) ? taxonomy[dim][value]! : value;
}

export { UNCLASSIFIED };
