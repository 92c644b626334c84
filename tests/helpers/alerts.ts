import { expect } from 'vitest';

/** The one alert of `category` (on a socket, a gRPC stream or in a summary); fails unless there is exactly one. */
export function onlyAlert<T extends Record<string, unknown>>(alerts: readonly T[], category: string): T {
  const matching = alerts.filter((a) => a.category === category);
  expect(matching, `alerts of category ${category}`).toHaveLength(1);
  return matching[0]!;
}
