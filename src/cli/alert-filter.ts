import type { AlertSeverity } from '../events/schema.js';
import type { AlertStreamEvent } from '../events/alert-wire.js';

export const SEVERITIES: readonly AlertSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

export interface AlertFilterOptions {
  /** Any of these categories (empty: all). */
  categories: readonly string[];
  /** This severity and above. */
  minSeverity?: AlertSeverity;
  callId?: string;
}

/**
 * Which alert-stream events a supervisor asked to see. A withdrawal carries no severity, so with a
 * severity filter it is shown only when its alert was shown (`remember` keeps the ids seen).
 */
export class AlertFilter {
  private readonly shown = new Set<string>();
  /** Bound on remembered ids; the oldest are forgotten first. */
  private static readonly MAX_REMEMBERED = 100_000;

  constructor(private readonly options: AlertFilterOptions) {}

  accepts(event: AlertStreamEvent): boolean {
    const { categories, minSeverity, callId } = this.options;
    if (callId !== undefined && event.callId !== callId) return false;
    if (categories.length > 0 && !categories.includes(event.category)) return false;
    if (event.type === 'alert_withdrawn') return minSeverity === undefined || this.shown.has(event.id);
    if (minSeverity !== undefined && SEVERITIES.indexOf(event.severity) < SEVERITIES.indexOf(minSeverity)) return false;
    this.remember(event.id);
    return true;
  }

  private remember(id: string): void {
    this.shown.add(id);
    if (this.shown.size > AlertFilter.MAX_REMEMBERED) {
      const oldest = this.shown.values().next().value;
      if (oldest !== undefined) this.shown.delete(oldest);
    }
  }
}
