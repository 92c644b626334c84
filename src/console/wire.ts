import type { AlertEvent, AlertWithdrawnEvent, CallSummary, DriverEvent, TranscriptEvent } from '../events/schema.js';
import type { SpikeChannelEvent } from '../events/voc-wire.js';
import type { CallEndedMessage, CallStartedMessage, CallTagsMessage } from '../events/wire.js';
import type { DriversReport, SpikeRecord } from '../publish/voc-reader.js';

/**
 * What the console's server sends the browser (HTTP JSON and live-feed messages). Shared by the
 * server (src/console) and the browser bundle (src/console/web), so both sides agree at compile time.
 */

/** One call as the board shows it. */
export interface BoardCall {
  callId: string;
  state: 'active' | 'ended';
  protocol: string;
  parties: string[];
  /** ISO-8601 wall-clock times. */
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  alertCount: number;
  tags: string[];
  /** Primary call driver and its department, when the cross-call layer has classified the call. */
  driver?: string;
  department?: string;
  /** The call has raised a raised_tone alert. */
  raisedTone: boolean;
  /** Highest severity among the call's alerts. */
  maxSeverity?: AlertEvent['severity'];
  instance?: string;
}

/** An alert stream entry: the Redis stream id orders entries and is the catch-up position. */
export interface AlertEntry {
  streamId: string;
  event: AlertEvent | AlertWithdrawnEvent;
}

export interface AckState {
  alertId: string;
  ackedBy?: string;
  /** ISO-8601. */
  ackedAt?: string;
  assignee?: string;
  /** ISO-8601 of the last change. */
  updatedAt: string;
}

export interface AlertsPage {
  entries: AlertEntry[];
  acks: AckState[];
  /** Position to catch up from (the last entry's id, or the stream's last id when empty). */
  lastId: string;
}

export interface CallDetail {
  call: BoardCall;
  transcript: TranscriptEvent[];
  alerts: AlertEntry[];
  acks: AckState[];
  summary?: CallSummary;
}

/** Call lifecycle changes as the engine publishes them on `<prefix>:calls`. */
export type CallChange = CallStartedMessage | CallEndedMessage | CallTagsMessage;

export type LiveMessage =
  | { type: 'alert'; entry: AlertEntry }
  | { type: 'transcript'; event: TranscriptEvent }
  | { type: 'call'; change: CallChange }
  | { type: 'ack'; ack: AckState }
  | { type: 'driver'; event: DriverEvent }
  | { type: 'spike'; event: SpikeChannelEvent };

/** What the browser sends on the live feed: the call it shows (its transcript lines are sent to it), or none. */
export interface WatchRequest {
  type: 'watch';
  callId?: string;
}

/** GET /console/api/drivers: top drivers per department with a trend, and the spikes. */
export interface DriversView {
  report: DriversReport;
  /** Calls per department over the period in `trendSlices` equal slices (oldest first), for the trend chart. */
  trend: { sliceStartsMs: number[]; volume: number[]; departments: Record<string, number[]> };
  spikes: SpikeRecord[];
}

/** The request body of POST /console/api/ack. */
export interface AckRequest {
  alertId: string;
  /** 'ack' records who acknowledged; 'assign' sets (or with an empty string clears) the assignee. */
  action: 'ack' | 'assign';
  by: string;
  assignee?: string;
}
