import type { DriverRef } from '../../events/schema.js';
import type { CategoryMatch } from '../scorecard.js';
import { UNCLASSIFIED, type CompiledDriver } from './taxonomy.js';

/** The call's drivers: the primary (highest priority; `unclassified` when none matched) and the others. */
export interface DriverResult {
  primary: DriverRef;
  secondary: DriverRef[];
}

export type { DriverRef };

export const UNCLASSIFIED_DRIVER: DriverRef = Object.freeze({ id: UNCLASSIFIED, name: UNCLASSIFIED, priority: -1, dimensions: {} });

/**
 * Which drivers a call has, from the categories that matched: a pure function over the rules'
 * results, so it runs the same in the engine, in `voc eval rules` and in tests. Highest priority
 * first; equal priorities keep the order of the rule files.
 */
export function recognizeDrivers(drivers: readonly CompiledDriver[], matches: ReadonlyMap<string, CategoryMatch>): DriverResult {
  const found = drivers
    .filter((d) => d.category !== '' && matches.has(d.category))
    .sort((a, b) => b.priority - a.priority || a.order - b.order)
    .map((d): DriverRef => {
      const m = matches.get(d.category)!;
      return { id: d.id, name: d.name, priority: d.priority, department: d.dimensions.department, dimensions: d.dimensions, startMs: m.startMs, endMs: m.endMs };
    });
  const [primary, ...secondary] = found;
  return { primary: primary ?? UNCLASSIFIED_DRIVER, secondary };
}

/** Same drivers in the same roles (a change is worth a new `driver` event). */
export function sameDrivers(a: DriverResult | undefined, b: DriverResult): boolean {
  if (!a) return false;
  return a.primary.id === b.primary.id && a.secondary.map((d) => d.id).join('\n') === b.secondary.map((d) => d.id).join('\n');
}

/** Tags a call gets from its final drivers. */
export function driverTags(result: DriverResult): string[] {
  const { primary } = result;
  return [`driver:${primary.id}`, ...(primary.department ? [`department:${primary.department}`] : [])];
}
