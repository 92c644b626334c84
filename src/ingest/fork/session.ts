import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { CallEndReason } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { CallSession } from '../../session/types.js';
import type { IngestContext } from '../adapter.js';
import { closeCodeFor } from '../ws-send.js';
import { closeReason, describeIssue, recordInputFault, sendText } from '../ws-socket.js';
import { metadataSchema, querySchema, type ForkErrorMessage, type MixType } from './messages.js';

export const PROTOCOL = 'fork';

/** Metadata frames that are not JSON are kept as text, this long at most. */
const MAX_OPAQUE_METADATA_CHARS = 1024;

type State = 'awaiting_metadata' | 'streaming' | 'gone';

/** Call parameters; each comes from the metadata frame, else the URL query, else config. */
interface ForkParameters {
  mixType: MixType;
  sampleRate: number;
  language: string;
}

/**
 * One mod_audio_fork / jambonz `listen` stream. awaiting_metadata -> streaming (first frame: the
 * metadata text frame, or audio when the fork was started without metadata) -> gone.
 *
 * Layers: size (ws maxPayload), parse (metadata JSON, or opaque text), parameters (sampleRate,
 * mixType), frame size (whole PCM16 sample frames). The end of the stream is the client closing the
 * socket (`uuid_audio_fork stop`, end of `listen`). Text frames after the metadata (mod_audio_fork
 * `send_text`, a `stop` text, jambonz DTMF) are application data: accepted and not interpreted.
 * A fault is reported in mod_audio_fork's server-message format, `{"type":"error","data":{...}}`
 * (mod_audio_fork raises it as the `mod_audio_fork::error` event), then the socket is closed.
 */
export class ForkStream {
  private state: State = 'awaiting_metadata';
  private session: CallSession | undefined;
  private readonly startTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: IngestContext,
    private readonly query: URLSearchParams,
    private readonly subprotocol: string,
  ) {
    this.startTimer = setTimeout(
      () => this.fail(new CallInputError('timeout', `no metadata or audio within ${ctx.config.server.startTimeoutMs} ms`)),
      ctx.config.server.startTimeoutMs,
    );
  }

  onText(text: string): void {
    if (this.state === 'gone') return;
    if (this.state === 'streaming') {
      this.ctx.log.debug({ protocol: PROTOCOL, callId: this.session?.callId, chars: text.length }, 'fork text frame ignored');
      return;
    }
    this.begin(this.readMetadata(text));
  }

  onBinary(bytes: Buffer): void {
    if (this.state === 'gone') return;
    if (this.state === 'awaiting_metadata') this.begin({}); // forked without metadata
    this.session?.pushAudio(bytes);
  }

  fail(err: unknown): void {
    if (this.state === 'gone') return;
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId });
    const report: ForkErrorMessage = { type: 'error', data: { code: error.code, message: error.message } };
    sendText(this.socket, JSON.stringify(report));
    this.close(closeCodeFor(error.code), `${error.code}: ${error.message}`);
    void this.session?.stop('error');
  }

  /** The normal end of a fork is the client closing the socket; an abnormal close is a disconnect. */
  onClose(code: number): void {
    clearTimeout(this.startTimer);
    const streaming = this.state === 'streaming';
    this.state = 'gone';
    const reason: CallEndReason = code === 1000 || code === 1001 || code === 1005 ? 'stop' : 'disconnect';
    if (streaming) void this.session?.stop(reason);
  }

  /** Parse layer: JSON metadata, or mod_audio_fork free text kept as-is. */
  private readMetadata(text: string): Record<string, unknown> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { metadataText: text.slice(0, MAX_OPAQUE_METADATA_CHARS) };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { metadataText: text.slice(0, MAX_OPAQUE_METADATA_CHARS) };
    return json as Record<string, unknown>;
  }

  /** Parameter layer, then the call opens. */
  private begin(raw: Record<string, unknown>): void {
    clearTimeout(this.startTimer);
    const parsed = metadataSchema.safeParse(raw);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error);
      throw new CallInputError(field === 'sampleRate' ? 'unsupported_sample_rate' : 'bad_start', `invalid metadata field "${field}": ${message}`);
    }
    const meta = parsed.data;
    const defaults = this.defaults();
    const mixType = meta.mixType ?? defaults.mixType;
    const sampleRate = meta.sampleRate ?? defaults.sampleRate;
    const configured = this.ctx.config.protocols.fork.parties;
    if (mixType === 'stereo' && configured.length < 2) throw new CallInputError('bad_start', 'stereo needs two parties in protocols.fork.parties');
    const parties = mixType === 'stereo' ? configured.slice(0, 2) : configured.slice(0, 1);
    const callId = meta.callSid ?? meta.callId ?? meta.callid ?? meta.uuid ?? `fork-${randomUUID()}`;
    this.state = 'streaming';
    this.session = this.ctx.calls.openCall({
      callId,
      protocol: PROTOCOL,
      format: { encoding: 'pcm16', sampleRate, channels: parties.length },
      parties,
      language: meta.language ?? defaults.language,
      metadata: { ...raw, mixType, sampleRate, subprotocol: this.subprotocol },
    });
  }

  /** Parameters from the URL query, else config. */
  private defaults(): ForkParameters {
    const fromQuery = querySchema.safeParse(Object.fromEntries(this.query));
    if (!fromQuery.success) {
      const { field, message } = describeIssue(fromQuery.error);
      throw new CallInputError(field === 'sampleRate' ? 'unsupported_sample_rate' : 'bad_start', `invalid URL query parameter "${field}": ${message}`);
    }
    return {
      mixType: fromQuery.data.mixType ?? 'mono',
      sampleRate: fromQuery.data.sampleRate ?? this.ctx.config.protocols.fork.sampleRate,
      language: fromQuery.data.language ?? 'en',
    };
  }

  private close(code: number, reason: string): void {
    if (this.state === 'gone') return;
    clearTimeout(this.startTimer);
    this.state = 'gone';
    this.socket.close(code, closeReason(reason));
  }
}
