/**
 * Redis key layout. Every key starts with the configured prefix. Per-call keys put the callId in a
 * hash tag (`{...}`) so all keys of one call live in one Redis Cluster slot (multi-key MULTI works).
 *
 *   <p>:call:{<callId>}            HASH    call state: state (active|ended), protocol, language, parties (JSON),
 *                                          startedAt, endedAt, endReason, tagsCount, alertCount, metadata (JSON), instance
 *   <p>:call:{<callId>}:tags       SET     tags applied to the call
 *   <p>:call:{<callId>}:alerts     STREAM  the call's alerts (field `event` = JSON AlertEvent)
 *   <p>:call:{<callId>}:summary    STRING  the CallSummary JSON, written at call end
 *   <p>:call:{<callId>}:transcript STREAM  the call's final transcript lines (field `event` = JSON TranscriptEvent)
 *   <p>:call:{<callId>}:acks       HASH    supervisor console: alert id -> JSON {ackedBy, ackedAt, assignee, updatedAt}
 *   <p>:alerts                     STREAM  all alerts of all calls, capped (XADD MAXLEN ~), field `event`
 *   <p>:alerts                     PUBSUB  channel: every alert / alert_withdrawn event as JSON
 *   <p>:calls                      PUBSUB  channel: call lifecycle {type:"call_started"|"call_ended"|"call_tags", ...}
 *   <p>:transcripts                PUBSUB  channel: every final transcript line as JSON
 *   <p>:calls:active               ZSET    callIds of calls in progress, scored by start time (ms)
 *   <p>:calls:recent               ZSET    callIds of ended calls, scored by end time (ms), capped
 *   <p>:console                    PUBSUB  channel: console changes (acks, assignments) for every instance
 *   <p>:console:session:<digest>   STRING  console login session (TTL = session lifetime)
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
}

/** callIds become part of keys and hash tags: keep them to a safe alphabet. */
export const CALL_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
