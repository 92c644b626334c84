import { randomBytes } from 'node:crypto';

/**
 * Redis key layout. Every key starts with the configured prefix. Per-call keys put the callId in a
 * hash tag (`{...}`) so all keys of one call live in one Redis Cluster slot (scripts and MULTI work).
 *
 *   <p>:call:{<callId>}            HASH    call state: state (active|ended|interrupted), record, protocol, language,
 *                                          parties (JSON), startedAt, startedMs, endedAt, endReason, tagsCount,
 *                                          alertCount, metadata (JSON), instance
 *   <p>:call:{<callId>}:tags       SET     tags applied to the call
 *   <p>:call:{<callId>}:alerts     STREAM  the call's alerts (field `event` = JSON AlertEvent)
 *   <p>:call:{<callId>}:summary    STRING  the CallSummary JSON, written at call end
 *   <p>:call:{<callId>}:transcript STREAM  the call's final transcript lines (field `event` = JSON TranscriptEvent)
 *   <p>:call:{<callId>}:acks       HASH    supervisor console: alert id -> JSON {ackedBy, ackedAt, assignee, updatedAt}
 *   <p>:call:{<callId>}:records    ZSET    every record (call) that used this callId, scored by start time (ms)
 *   <p>:call:{<callId>}~<record>   HASH    (and its :tags, :alerts, ...) an earlier or concurrent call with the same callId
 *   <p>:alerts                     STREAM  all alerts of all calls, capped (XADD MAXLEN ~), field `event`
 *   <p>:alerts                     PUBSUB  channel: every alert / alert_withdrawn event as JSON
 *   <p>:calls                      PUBSUB  channel: call lifecycle {type:"call_started"|"call_ended"|"call_tags", ...}
 *   <p>:transcripts                PUBSUB  channel: every final transcript line as JSON
 *   <p>:calls:active               ZSET    callIds of calls in progress, scored by start time (ms)
 *   <p>:calls:recent               ZSET    callIds of ended calls, scored by end time (ms), capped
 *   <p>:console                    PUBSUB  channel: console changes (acks, assignments) for every instance
 *   <p>:console:session:<digest>   STRING  console login session (TTL = session lifetime)
 *   <p>:instance:{<id>}:processes  HASH    crash recovery: engine processes of instance <id>, process -> last lease renewal (ms)
 *   <p>:instance:{<id>}:process:<process>        STRING  the process's lease (TTL server.instanceLeaseMs): gone = dead
 *   <p>:instance:{<id>}:process:<process>:calls  SET     the process's active calls, `<callId>~<record>`
 *
 * A callId can be used again: each use is a record with its own id (the hash's `record`). The keys
 * without `~` hold the latest call of that id; when a new call takes the id, the earlier one is
 * renamed to `~<record>` (its TTL kept), never overwritten. A call that starts while another call
 * with its id is live (another instance, or a client re-using a live id) gets the `~<record>` keys.
 *
 * Per-call keys expire `retentionMs` after the call ends (while active they carry a safety TTL of
 * maxCallDurationMs + retentionMs so a crashed instance cannot leave them forever).
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  call(callId: string): string {
    return `${this.prefix}:call:{${callId}}`;
  }
  callTags(callId: string): string {
    return `${this.call(callId)}:tags`;
  }
  callAlerts(callId: string): string {
    return `${this.call(callId)}:alerts`;
  }
  callSummary(callId: string): string {
    return `${this.call(callId)}:summary`;
  }
  /** The hash of one record of `callId`: the primary, or the record's own keys (see above). */
  record(callId: string, record?: string): string {
    return record === undefined ? this.call(callId) : `${this.call(callId)}~${record}`;
  }
  callRecords(callId: string): string {
    return `${this.call(callId)}:records`;
  }
  callTranscript(callId: string): string {
    return `${this.call(callId)}:transcript`;
  }
  callAcks(callId: string): string {
    return `${this.call(callId)}:acks`;
  }
  /** Global alert stream (one key, so one slot in a cluster). */
  alertStream(): string {
    return `${this.prefix}:alerts`;
  }
  alertChannel(): string {
    return `${this.prefix}:alerts`;
  }
  callsChannel(): string {
    return `${this.prefix}:calls`;
  }
  /** Driver events (docs/voc.md). */
  driversChannel(): string {
    return `${this.prefix}:drivers`;
  }
  transcriptChannel(): string {
    return `${this.prefix}:transcripts`;
  }
  activeCalls(): string {
    return `${this.prefix}:calls:active`;
  }
  recentCalls(): string {
    return `${this.prefix}:calls:recent`;
  }
  consoleChannel(): string {
    return `${this.prefix}:console`;
  }
  consoleSession(digest: string): string {
    return `${this.prefix}:console:session:${digest}`;
  }
  /** The engine processes that ran as instance `id` (one hash tag: one Cluster slot per instance). */
  instanceProcesses(id: string): string {
    return `${this.prefix}:instance:{${id}}:processes`;
  }
  processLease(id: string, process: string): string {
    return `${this.prefix}:instance:{${id}}:process:${process}`;
  }
  processCalls(id: string, process: string): string {
    return `${this.processLease(id, process)}:calls`;
  }
}

/** The keys of one record besides its hash: `<hash><suffix>`. A new per-call key belongs here. */
export const RECORD_KEY_SUFFIXES = [':tags', ':alerts', ':summary', ':transcript', ':acks'] as const;

/** A member of a process's active-call set: `<callId>~<record>` (a callId never holds `~`). */
export function activeCallMember(callId: string, record: string): string {
  return `${callId}~${record}`;
}

export function parseActiveCallMember(member: string): { callId: string; record: string } | undefined {
  const at = member.lastIndexOf('~');
  if (at <= 0 || at === member.length - 1) return undefined;
  return { callId: member.slice(0, at), record: member.slice(at + 1) };
}

/** A new record id: sortable by time, unique enough to never meet another start of the same callId. */
export function newRecordId(now = Date.now()): string {
  return `${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

/** callIds become part of keys and hash tags: keep them to a safe alphabet. */
export const CALL_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
