import type { WebSocket } from 'ws';
import { samplesToMs } from '../../audio/format.js';
import type { CallEndReason } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { CallSession } from '../../session/types.js';
import type { IngestContext } from '../adapter.js';
import { guardedObserver } from '../guarded-observer.js';
import { TrackClock, silenceBytes } from '../track-clock.js';
import { closeReason, countInputError, describeIssue, parseJson, recordInputFault, sendText } from '../ws-socket.js';
import {
  CLIENT_MESSAGE_TYPES,
  NULL_UUID,
  clientEnvelopeSchema,
  clientMessageSchema,
  durationToMs,
  type ClientEnvelope,
  type ClientMessage,
  type ClientMessageType,
  type CloseReason,
  type MediaParameter,
  type OpenMessage,
  type ServerMessage,
  type ServerMessageType,
  type ServerParameters,
} from './messages.js';

export const PROTOCOL = 'audiohook';

/** The protocol's own cap on text messages (the reference server refuses larger ones). */
const MAX_TEXT_CHARS = 65_535;
/** After `closed` or `disconnect`, the client closes the socket; if it does not, we do after this (its close timeout is 10 s). */
const CLIENT_CLOSE_GRACE_MS = 10_000;
/** Longest discarded/paused span (ms) filled with silence to keep the timeline (see TrackClock). */
export const MAX_GAP_FILL_MS = 5_000;
const GAP_TOLERANCE_MS = 20;

/** What the HTTP upgrade told us; the session id names every message of the session. */
export interface AudioHookHeaders {
  sessionId: string;
  organizationId: string;
  correlationId: string | undefined;
}

/**
 * preparing -> (open) -> active <-> paused -> (close) -> closed; a probe (null conversation id)
 * is active without a call. disconnecting: we sent `disconnect` (error, unauthorized, or the call
 * ended on our side) and wait for the client's close transaction. gone: the socket closed.
 */
type State = 'preparing' | 'active' | 'paused' | 'disconnecting' | 'closed' | 'gone';

type Handlers = { readonly [T in ClientMessageType]: (message: Extract<ClientMessage, { type: T }>) => void };

/**
 * One AudioHook session (server side). Validation layers, cheapest first: size (64 KiB text),
 * JSON parse, envelope (version "2", id, type, seq, serverseq, position, parameters), sequence
 * (seq = previous + 1, serverseq <= ours, id = the session's), parameters (per type). A fault is
 * signalled the protocol's way, as in the reference server: `disconnect` with reason "error" and an
 * info text; the client then runs its close transaction (`close` -> `closed`) and closes the socket.
 */
export class AudioHookSession {
  private state: State = 'preparing';
  private seq = 0;
  private clientseq = 0;
  private session: CallSession | undefined;
  private probe = false;
  private media: MediaParameter | undefined;
  private clock: TrackClock | undefined;
  private meta: Record<string, unknown> = {};
  private readonly openTimer: NodeJS.Timeout;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly handlers: Handlers = {
    open: (m) => this.onOpen(m),
    ping: (m) => this.onPing(m.parameters.rtt),
    paused: () => this.onPaused(),
    resumed: (m) => this.onResumed(durationToMs(m.parameters.start) + durationToMs(m.parameters.discarded)),
    discarded: (m) => this.fillTo(durationToMs(m.parameters.start) + durationToMs(m.parameters.discarded)),
    update: (m) => this.onUpdate(m.parameters.language),
    close: (m) => this.onCloseMessage(m.parameters.reason),
    error: (m) => this.ctx.log.warn({ protocol: PROTOCOL, callId: this.session?.callId, code: m.parameters.code, detail: m.parameters.message }, 'audiohook client reported an error'),
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: IngestContext,
    private readonly headers: AudioHookHeaders,
  ) {
    this.openTimer = setTimeout(
      () => this.fail(new CallInputError('timeout', `no open message within ${ctx.config.server.startTimeoutMs} ms`)),
      ctx.config.server.startTimeoutMs,
    );
  }

  onText(text: string): void {
    if (this.state === 'gone') return;
    if (text.length > MAX_TEXT_CHARS) throw new CallInputError('frame_too_large', `text message too large (${text.length} > ${MAX_TEXT_CHARS} characters)`);
    const json = parseJson(text);
    const envelope = clientEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      const { field, message } = describeIssue(envelope.error);
      throw new CallInputError('bad_message', `not a well-formed client message: field "${field}": ${message}`);
    }
    this.checkSequence(envelope.data);
    if (this.state === 'disconnecting') {
      // Waiting for the client's close transaction; everything else is noise now.
      if (envelope.data.type === 'close') this.finishClose();
      return;
    }
    if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(envelope.data.type))
      throw new CallInputError('unknown_message', `"${envelope.data.type}" is not a supported client message`);
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error);
      throw new CallInputError('bad_message', `invalid "${envelope.data.type}" parameters: field "${field}": ${message}`);
    }
    this.dispatch(parsed.data);
  }

  /** Audio: interleaved frames in the media chosen in `opened`. */
  onBinary(bytes: Buffer): void {
    if (this.state === 'gone' || this.state === 'disconnecting' || this.state === 'closed') return;
    if (this.state !== 'active') throw new CallInputError(this.state === 'preparing' ? 'audio_before_start' : 'bad_message', `audio received in state ${this.state}`);
    if (this.probe || !this.session || !this.media || !this.clock) return; // a probe carries no call
    const channels = this.media.channels.length;
    if (bytes.length % channels !== 0) throw new CallInputError('bad_frame_size', `${bytes.length} bytes is not a whole number of ${channels}-channel PCMU frames`);
    this.session.pushAudio(bytes);
    this.clock.advance(bytes.length / channels);
  }

  /** The protocol's error behaviour: count, `disconnect` (reason "error"), end the call as 'error'. */
  fail(err: unknown): void {
    if (this.state === 'gone') return;
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId, sessionId: this.headers.sessionId });
    if (this.state === 'disconnecting' || this.state === 'closed') return; // already signalled
    clearTimeout(this.openTimer);
    this.disconnect('error', `Client Error: ${error.message}`);
    void this.session?.stop(error.code === 'timeout' ? 'timeout' : 'error');
  }

  onSocketClose(): void {
    clearTimeout(this.openTimer);
    clearTimeout(this.graceTimer);
    const live = this.state === 'active' || this.state === 'paused' || this.state === 'preparing';
    this.state = 'gone';
    // No close transaction: the client vanished. The summary is still written.
    if (live) void this.session?.stop('disconnect');
  }

  private dispatch<M extends ClientMessage>(message: M): void {
    (this.handlers[message.type] as (m: M) => void)(message);
  }

  private checkSequence(envelope: ClientEnvelope): void {
    const expected = this.clientseq + 1;
    // Resynchronize before reporting, so the client's close transaction that follows is in sequence.
    this.clientseq = envelope.seq;
    if (envelope.seq !== expected) throw new CallInputError('bad_sequence', `invalid seq ${envelope.seq}: expected ${expected} (must increase by one)`);
    if (envelope.serverseq > this.seq) throw new CallInputError('bad_sequence', `serverseq ${envelope.serverseq} is ahead of the server's seq ${this.seq}`);
    if (envelope.id !== this.headers.sessionId) throw new CallInputError('bad_message', 'session id differs from the Audiohook-Session-Id header');
  }

  private onOpen(message: OpenMessage): void {
    if (this.state !== 'preparing') {
      this.ctx.log.warn({ protocol: PROTOCOL, callId: this.session?.callId, sessionId: this.headers.sessionId, state: this.state }, 'open ignored: session already open');
      return;
    }
    clearTimeout(this.openTimer);
    const params = message.parameters;
    if (params.organizationId.toLowerCase() !== this.headers.organizationId.toLowerCase()) {
      countInputError(this.ctx, PROTOCOL, 'unauthenticated');
      this.disconnect('unauthorized', 'organizationId differs from the Audiohook-Organization-Id header');
      return;
    }
    const media = selectMedia(params.media, this.ctx.config.limits.allowedSampleRates);
    if (!media) throw new CallInputError('unsupported_encoding', 'no supported media offered (PCMU, 1 or 2 channels, 8000 Hz)');
    this.media = media;
    this.probe = params.conversationId === NULL_UUID;
    if (!this.probe) {
      this.session = this.openCall(message, media);
      // The call can end on our side (duration limit, shutdown): ask the client to close.
      this.session.events$.subscribe(guardedObserver({ complete: () => this.disconnect('completed') }, (err) => this.fail(err)));
    }
    this.clock = new TrackClock(media.rate, GAP_TOLERANCE_MS, MAX_GAP_FILL_MS, this.ctx.config.limits.maxGapMs);
    this.state = 'active';
    this.send('opened', {
      media: [media],
      startPaused: false,
      ...(params.supportedLanguages ? { supportedLanguages: [] } : {}),
    });
  }

  private openCall(message: OpenMessage, media: MediaParameter): CallSession {
    const params = message.parameters;
    const { externalParty, internalParty } = this.ctx.config.protocols.audiohook;
    this.meta = {
      organizationId: params.organizationId,
      conversationId: params.conversationId,
      sessionId: this.headers.sessionId,
      ...(this.headers.correlationId ? { correlationId: this.headers.correlationId } : {}),
      participant: params.participant,
      ...(params.language ? { language: params.language } : {}),
      ...(params.customConfig ? { customConfig: params.customConfig } : {}),
    };
    const start = {
      protocol: PROTOCOL,
      format: { encoding: 'mulaw' as const, sampleRate: media.rate, channels: media.channels.length },
      parties: media.channels.map((c) => (c === 'external' ? externalParty : internalParty)),
      language: params.language ?? 'en',
      metadata: { audiohook: this.meta },
    };
    // Several AudioHook sessions can serve one conversation (several integrations, transfers): each is
    // its own record of the conversation's callId (publish/keys.ts), told apart by metadata.audiohook.sessionId.
    return this.ctx.calls.openCall({ ...start, callId: params.conversationId });
  }

  private onPing(rtt: string | undefined): void {
    this.send('pong', {});
    if (rtt !== undefined && this.session) this.updateMeta({ rttMs: durationToMs(rtt) });
  }

  private onPaused(): void {
    if (this.state !== 'active') return;
    this.state = 'paused';
    this.session?.pauseInput(true);
  }

  private onResumed(nextPositionMs: number): void {
    if (this.state !== 'paused') return;
    this.state = 'active';
    this.session?.pauseInput(false);
    this.fillTo(nextPositionMs);
  }

  /** The client skipped audio up to `positionMs`: keep both channels on its timeline. */
  private fillTo(positionMs: number): void {
    if (!this.session || !this.clock || !this.media) return;
    const gap = this.clock.gapBefore(positionMs);
    if (gap.fill === 0 && gap.skip === 0) return;
    if (gap.fill > 0) this.session.pushAudio(silenceBytes('mulaw', gap.fill, this.media.channels.length));
    if (gap.skip > 0) this.session.skipAudio(samplesToMs(gap.skip, this.clock.sampleRate));
    this.updateMeta({ discardedMs: { filled: this.clock.filledMs, unfilled: this.clock.unfilledMs } });
  }

  private onUpdate(language: string): void {
    // The recognizer is chosen at call start; the change is recorded for downstream consumers.
    this.updateMeta({ language });
  }

  private onCloseMessage(reason: CloseReason): void {
    if (this.state === 'preparing') clearTimeout(this.openTimer);
    const endReason: CallEndReason = reason === 'end' ? 'stop' : reason === 'error' ? 'error' : 'disconnect';
    void this.session?.stop(endReason);
    this.finishClose();
  }

  /** Close transaction: answer `closed` at once (the summary is written in the background) and let the client close the socket. */
  private finishClose(): void {
    this.state = 'closed';
    this.send('closed', {});
    this.armGrace();
  }

  /** Ask the client to end the session; it answers with its close transaction. */
  private disconnect(reason: ServerParameters['disconnect']['reason'], info?: string): void {
    if (this.state !== 'preparing' && this.state !== 'active' && this.state !== 'paused') return;
    this.state = 'disconnecting';
    this.send('disconnect', { reason, ...(info ? { info } : {}) });
    this.armGrace();
  }

  private updateMeta(patch: Record<string, unknown>): void {
    this.meta = { ...this.meta, ...patch };
    this.session?.updateMetadata({ audiohook: this.meta });
  }

  private send<T extends ServerMessageType>(type: T, parameters: ServerParameters[T]): void {
    const message: ServerMessage<T> = { version: '2', id: this.headers.sessionId, type, seq: ++this.seq, clientseq: this.clientseq, parameters };
    sendText(this.socket, JSON.stringify(message));
  }

  private armGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      if (this.state !== 'gone') this.socket.close(1000, closeReason('session closed'));
    }, CLIENT_CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }
}

/** PCMU at an allowed rate, two channels preferred (both parties), else one. */
export function selectMedia(offered: readonly MediaParameter[], allowedRates: readonly number[]): MediaParameter | undefined {
  const usable = offered.filter((m) => m.format === 'PCMU' && allowedRates.includes(m.rate) && new Set(m.channels).size === m.channels.length);
  return usable.find((m) => m.channels.length === 2) ?? usable[0];
}

