import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { EVENT_SCHEMA_VERSION } from '../../events/schema.js';
import { CallInputError, type InputErrorCode } from '../../session/errors.js';
import { textCallFormat, type CallSession } from '../../session/types.js';
import type { WireAudioFormat } from '../../audio/format.js';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { guardedObserver } from '../guarded-observer.js';
import { SLOW_CLIENT_BUFFER_BYTES, closeCodeFor, errorEvent, sendJson } from '../ws-send.js';
import { recordInputFault, toBuffer } from '../ws-socket.js';
import { CLIENT_MESSAGE_TYPES, clientMessageSchema, type StartMessage, type StartedMessage, type UtteranceMessage } from './messages.js';
import { PacedFeeder } from '../paced-feeder.js';
import type { Utterance } from '../../session/text-transcriber.js';

const PROTOCOL = 'stream';

/**
 * The engine's native protocol on `/v1/stream`: `start` (JSON), binary audio (or, for a text call,
 * `utterance` messages), `stop`; the server answers `started`, streams transcripts and alerts, ends
 * with the summary and closes.
 * Any input error sends an `error` event and closes this socket only; a call already running is
 * still finalized (summary written, endReason 'error').
 */
export const streamAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/stream',
  // Checked here, so invalid UTF-8 gets an error event (bad_utf8) instead of a bare close 1007.
  validatesUtf8: true,
  attach(socket: WebSocket, _req: IncomingMessage, ctx: IngestContext): void {
    new StreamConnection(socket, ctx);
  },
};

class StreamConnection {
  private session: CallSession | undefined;
  private closed = false;
  private readonly startTimer: NodeJS.Timeout;
  /** With start.flowControl: audio goes through it, at the pace the recognizers decode. */
  private feeder: PacedFeeder | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: IngestContext,
  ) {
    this.startTimer = setTimeout(
      () => this.reject(new CallInputError('timeout', `no start message within ${ctx.config.server.startTimeoutMs} ms`)),
      ctx.config.server.startTimeoutMs,
    );
    socket.on('message', (data, isBinary) => {
      try {
        this.onMessage(data, isBinary);
      } catch (err) {
        this.reject(err);
      }
    });
    socket.on('close', () => this.onClose());
    socket.on('error', (err) => {
      // ws reports oversize frames and protocol violations here, then closes the socket.
      const reason: InputErrorCode = /max payload/i.test(err.message) ? 'frame_too_large' : 'bad_message';
      this.ctx.metrics.ingestErrors.inc({ protocol: PROTOCOL, reason });
      this.ctx.log.warn({ protocol: PROTOCOL, reason, callId: this.session?.callId, err: err.message }, 'websocket error');
    });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) {
      if (!this.session) throw new CallInputError('audio_before_start', 'binary audio received before the start message');
      if (this.feeder) this.feeder.push(toBuffer(data));
      else this.session.pushAudio(toBuffer(data));
      return;
    }
    const message = parseClientMessage(decodeUtf8(toBuffer(data)));
    if (message.type === 'start') {
      if (this.session) throw new CallInputError('already_started', 'start received twice');
      this.begin(message);
    } else if (message.type === 'utterance') {
      if (!this.session) throw new CallInputError('bad_message', 'utterance received before start');
      this.session.pushUtterance(utteranceOf(message));
    } else {
      if (!this.session) throw new CallInputError('bad_message', 'stop received before start');
      if (message.durationMs !== undefined) this.session.declareDuration(message.durationMs);
      if (this.feeder) this.feeder.stop();
      else void this.session.stop('stop');
    }
  }

  private begin(message: StartMessage): void {
    clearTimeout(this.startTimer);
    const text = message.input === 'text';
    const session = this.ctx.calls.openCall({
      callId: message.callId,
      protocol: PROTOCOL,
      input: message.input,
      format: text ? textCallFormat(message.parties) : audioFormat(message),
      parties: message.parties,
      language: message.language,
      metadata: message.metadata,
    });
    this.session = session;
    if (message.flowControl && !text) {
      this.feeder = new PacedFeeder(session, { maxQueueMs: this.ctx.config.asr.maxQueueMs }, this.socket, {
        onError: (err) => this.reject(err),
        onDrainedStop: () => void session.stop('stop'),
      });
    }
    const started: StartedMessage = {
      type: 'started',
      v: EVENT_SCHEMA_VERSION,
      callId: session.callId,
      parties: message.parties,
      ...(text
        ? { input: 'text' as const }
        : { encoding: message.encoding, sampleRate: message.sampleRate, channels: message.channels, flowControl: message.flowControl }),
    };
    sendJson(this.socket, started);
    session.events$.subscribe(
      guardedObserver(
        {
          next: (event) => {
            // A slow client loses partials first; finals, alerts and the summary are always sent.
            if (event.type === 'transcript' && !event.final && this.socket.bufferedAmount > SLOW_CLIENT_BUFFER_BYTES) {
              this.ctx.metrics.skippedPartials.inc({ protocol: PROTOCOL });
              return;
            }
            sendJson(this.socket, event);
            if (event.type === 'summary') this.close(1000, 'call ended');
          },
          complete: () => this.close(1000, 'call ended'),
        },
        (err) => this.reject(err),
      ),
    );
  }

  /** Sends the error event, counts it, closes this socket; a running call is finalized. */
  private reject(err: unknown): void {
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId });
    sendJson(this.socket, errorEvent(error.code, error.message, this.session?.callId));
    this.close(closeCodeFor(error.code), error.code);
    void this.session?.stop('error');
  }

  private onClose(): void {
    clearTimeout(this.startTimer);
    this.closed = true;
    // Audio the client sent before going away still counts (the drop policy applies to it).
    this.feeder?.flush();
    // The client went away without `stop`: finalize the call so its summary is still written.
    void this.session?.stop('disconnect');
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.startTimer);
    this.feeder?.dispose();
    this.socket.close(code, reason);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new CallInputError('bad_utf8', 'text frame is not valid UTF-8');
  }
}

function audioFormat(message: StartMessage): WireAudioFormat {
  const { encoding, sampleRate, channels } = message;
  for (const [field, value] of Object.entries({ encoding, sampleRate, channels }))
    if (value === undefined) throw new CallInputError('bad_message', `invalid start message: field "${field}": required for an audio call (or set input "text")`);
  return { encoding: encoding!, sampleRate: sampleRate!, channels: channels! };
}

function utteranceOf(message: UtteranceMessage): Utterance {
  const { party, text, startMs, endMs, final, words } = message;
  return { party, text, startMs, endMs, final, ...(words ? { words } : {}) };
}

function parseClientMessage(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CallInputError('bad_json', 'text frame is not valid JSON');
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type))
    throw new CallInputError('unknown_message', `unknown message type ${JSON.stringify(type)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`);
  const parsed = clientMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    const code: InputErrorCode = field === 'encoding' ? 'unsupported_encoding' : 'bad_message';
    throw new CallInputError(code, `invalid ${type} message: field "${field}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
