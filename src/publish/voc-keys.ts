/**
 * Redis key layout of the cross-call (Voice of the Customer) layer; docs/voc.md explains how to read
 * it. Every key starts with the configured prefix and carries the hash tag `{voc}`, so all of them live
 * in one Redis Cluster slot and one call's aggregation is one MULTI. Every key has a TTL or a cap.
 *
 *   <p>:{voc}:b:<bucketStartMs>   HASH    counts of calls ENDED in one bucket (voc.bucketMs): field `calls` (volume),
 *                                         `driver:<id>` (primary driver, `driver:unclassified` too),
 *                                         `department:<id>`, `businessType:<id>`, `system:<id>`, `network:<id>`,
 *                                         `category:<name>`. TTL voc.bucketRetentionMs.
 *   <p>:{voc}:h:<hourStartMs>     HASH    the same fields per UTC hour (trends, hour-of-day seasonality). TTL voc.hourRetentionMs.
 *   <p>:{voc}:ex:<series>         LIST    recent example calls of a series (`<endedAtMs>|<callId>`), capped (LTRIM), TTL voc.bucketRetentionMs.
 *   <p>:{voc}:dept:<department>   STREAM  the department's driver-tagged calls and spikes (field `event`, JSON of
 *                                         DepartmentEntry in src/events/voc-wire.ts); XADD MAXLEN ~ voc.departmentStreamMaxLen,
 *                                         TTL voc.hourRetentionMs (refreshed on each write). Read with consumer groups.
 *   <p>:{voc}:taxonomy            STRING  the drivers and taxonomy in force (JSON, see TaxonomyDoc), so readers need no rule files. TTL hourRetentionMs.
 *   <p>:{voc}:spike:<id>          HASH    one spike: `spike` (JSON SpikeEvent), `status` (open|acknowledged|resolved),
 *                                         `active` (1 while the episode lasts), `end` (JSON SpikeEndEvent), `ackedBy`/`ackedAt`/`ackNote`,
 *                                         `resolvedBy`/`resolvedAt`/`resolveNote`. TTL voc.hourRetentionMs.
 *   <p>:{voc}:spikes              ZSET    spike ids by raise time (ms), capped at voc.spikeHistoryMax. TTL refreshed.
 *   <p>:{voc}:episodes            HASH    series -> JSON episode state of the spikes still active (what a restart
 *                                         resumes instead of raising them again). TTL refreshed.
 *   <p>:{voc}:lease               STRING  the instance evaluating spikes (SET NX PX voc.spikes.leaseMs).
 *   <p>:{voc}:evaluated           STRING  the last bucket evaluated (ms). TTL hourRetentionMs.
 *   <p>:drivers                   PUBSUB  DriverEvent of every call, as recognized.
 *   <p>:spikes                    PUBSUB  spike, spike_end and spike_update events.
 */
export class VocKeys {
  readonly base: string;

  constructor(readonly prefix: string) {
    this.base = `${prefix}:{voc}`;
  }

  bucket(startMs: number): string {
    return `${this.base}:b:${startMs}`;
  }
  hour(startMs: number): string {
    return `${this.base}:h:${startMs}`;
  }
  examples(series: string): string {
    return `${this.base}:ex:${series}`;
  }
  department(department: string): string {
    return `${this.base}:dept:${department}`;
  }
  taxonomy(): string {
    return `${this.base}:taxonomy`;
  }
  spike(id: string): string {
    return `${this.base}:spike:${id}`;
  }
  spikes(): string {
    return `${this.base}:spikes`;
  }
  episodes(): string {
    return `${this.base}:episodes`;
  }
  lease(): string {
    return `${this.base}:lease`;
  }
  evaluated(): string {
    return `${this.base}:evaluated`;
  }
  driversChannel(): string {
    return `${this.prefix}:drivers`;
  }
  spikesChannel(): string {
    return `${this.prefix}:spikes`;
  }
}

/** Start of the bucket (or hour) holding `ms`. */
export function floorTo(ms: number, sizeMs: number): number {
  return Math.floor(ms / sizeMs) * sizeMs;
}

export const HOUR_MS = 3_600_000;
