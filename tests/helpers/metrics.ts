import { counterValue } from './redis-summary.js';

/** The service's Prometheus text from GET /metrics. */
export async function fetchMetrics(httpUrl: string): Promise<string> {
  return (await fetch(`${httpUrl}/metrics`)).text();
}

export interface IngestErrorSnapshot {
  /** Reads /metrics again; the function gives how much each reason's counter grew since the snapshot. */
  grownBy(): Promise<(reason: string) => number>;
}

/**
 * voc_ingest_errors_total for one protocol as it is now. Tests in a describe block share one service,
 * so they compare against a snapshot instead of expecting absolute counts.
 */
export async function ingestErrorSnapshot(httpUrl: string, protocol: string): Promise<IngestErrorSnapshot> {
  const count = (text: string, reason: string) => counterValue(text, 'voc_ingest_errors_total', { protocol, reason });
  const before = await fetchMetrics(httpUrl);
  return {
    grownBy: async () => {
      const after = await fetchMetrics(httpUrl);
      return (reason) => count(after, reason) - count(before, reason);
    },
  };
}
