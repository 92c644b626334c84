import type { WebSocket } from 'ws';
import type { ApiKeys } from '../../auth/api-keys.js';
import { samplesToMs } from '../../audio/format.js';
import { CallInputError } from '../../session/errors.js';
import type { CallSession } from '../../session/types.js';
import type { IngestContext } from '../adapter.js';
import { guardedObserver } from '../guarded-observer.js';
import { TrackClock, silenceBytes } from '../track-clock.js';
import { closeCodeFor } from '../ws-send.js';
import { closeReason, countInputError, describeIssue, parseJson, recordInputFault } from '../ws-socket.js';
import {
  TWILIO_EVENTS,
  TWILIO_MEDIA_FORMAT,
  twilioMessageSchema,
  type MediaMessage,
  type StartMessage,
  type TwilioEvent,
  type TwilioMessage,
  type TwilioTrack,
} from './messages.js';

export const PROTOCOL = 'twilio';

/** Packet jitter below this (ms) is not a gap: Twilio sends 20 ms packets. */
const GAP_TOLERANCE_MS = 40;
/** Longest gap (ms) filled with silence per jump of a track's media timestamp (see TrackClock). */
export const MAX_GAP_FILL_MS = 5_000;

/** Custom parameter carrying the API key; never stored with the call's metadata. */
export const TOKEN_PARAMETER = 'token';

type State = 'awaiting_start' | 'streaming' | 'stopped' | 'closed';

type Handlers = { readonly [E in TwilioEvent]: (message: Extract<TwilioMessage, { event: E }>) => void };

/**
 * One Twilio Media Stream. State machine: awaiting_start (after the optional `connected`) ->
 * streaming (`start` opened the call) -> stopped (`stop`) | closed (socket gone).
 *
 * Validation layers, cheapest first: size (ws maxPayload), JSON parse, envelope (`event`), sequence
 * (`sequenceNumber` +1), parameters (zod per event). Twilio has no error message for the server to
 * send, so a fault closes the socket (Twilio then ends the stream / continues the TwiML) and is
 * counted. Two things are tolerated and only counted, because Twilio cannot resend and closing would
 * lose the rest of the call: an unknown `event` (Twilio adds events over time) and a sequence gap.
 */
export class TwilioStream {
  private state: State = 'awaiting_start';
  private session: CallSession | undefined;
  private lastSequence = 0;
  private sawConnected = false;
  private dtmfCount = 0;
  private readonly tracks = new Map<TwilioTrack, { party: string; clock: TrackClock }>();
  private readonly startTimer: NodeJS.Timeout;
  private readonly handlers: Handlers = {
    connected: () => this.onConnected(),
    start: (m) => this.onStart(m),
    media: (m) => this.onMedia(m),
    mark: () => undefined, // echoes of marks we sent; we send none
    dtmf: () => this.onDtmf(),
    stop: () => this.onStop(),
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: IngestContext,
    /** Set: the upgrade carried no key, so `start` must carry one in customParameters.token. */
    private readonly keyAtStart?: ApiKeys,
  ) {
    this.startTimer = setTimeout(
      () => this.fail(new CallInputError('timeout', `no start message within ${ctx.config.server.startTimeoutMs} ms`)),
      ctx.config.server.startTimeoutMs,
    );
  }

  onText(text: string): void {
    if (this.state === 'closed') return;
    const json = parseJson(text);
    const event = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { event?: unknown }).event : undefined;
    if (typeof event !== 'string') throw new CallInputError('bad_message', 'message has no "event" string');
    this.checkSequence(json);
    if (!(TWILIO_EVENTS as readonly string[]).includes(event)) {
      countInputError(this.ctx, PROTOCOL, 'unknown_message');
      this.ctx.log.debug({ protocol: PROTOCOL, event, callId: this.session?.callId }, 'unknown twilio event ignored');
      return;
    }
    const parsed = twilioMessageSchema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error);
      throw new CallInputError('bad_message', `invalid ${event} message: field "${field}": ${message}`);
    }
    this.dispatch(parsed.data);
  }

  onBinary(): void {
    if (this.state === 'closed') return;
    throw new CallInputError('bad_message', 'Twilio Media Streams sends JSON text frames only');
  }

  /** Any fault: count it, close this socket with a reason; a running call is finalized as 'error'. */
  fail(err: unknown): void {
    if (this.state === 'closed') return;
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId });
    this.close(closeCodeFor(error.code), `${error.code}: ${error.message}`);
    void this.session?.stop('error');
  }

  onClose(): void {
    clearTimeout(this.startTimer);
    const wasStreaming = this.state === 'streaming';
    this.state = 'closed';
    // Twilio went away without `stop` (network loss): still finalize so the summary is written.
    if (wasStreaming) void this.session?.stop('disconnect');
  }

  private dispatch<M extends TwilioMessage>(message: M): void {
    (this.handlers[message.event] as (m: M) => void)(message);
  }

  /** Sequence layer: Twilio numbers every message after `connected` from 1, +1 each. */
  private checkSequence(json: unknown): void {
    const raw = (json as { sequenceNumber?: unknown }).sequenceNumber;
    if (raw === undefined) return;
    const seq = Number(raw);
    if (!Number.isInteger(seq)) return; // the parameter layer reports the bad field
    if (seq !== this.lastSequence + 1) {
      countInputError(this.ctx, PROTOCOL, 'bad_sequence');
      this.ctx.log.warn({ protocol: PROTOCOL, callId: this.session?.callId, expected: this.lastSequence + 1, got: seq }, 'twilio sequence gap');
    }
    this.lastSequence = seq;
  }

  private onConnected(): void {
    if (this.sawConnected || this.state !== 'awaiting_start') throw new CallInputError('bad_message', 'connected must be the first message, once');
    this.sawConnected = true;
  }

  private onStart(message: StartMessage): void {
    if (this.state !== 'awaiting_start') throw new CallInputError('already_started', 'start received twice');
    const { start } = message;
    const format = start.mediaFormat;
    if (format.encoding !== TWILIO_MEDIA_FORMAT.encoding || format.channels !== TWILIO_MEDIA_FORMAT.channels)
      throw new CallInputError('unsupported_encoding', `mediaFormat must be ${TWILIO_MEDIA_FORMAT.encoding}, 1 channel`);
    if (format.sampleRate !== TWILIO_MEDIA_FORMAT.sampleRate)
      throw new CallInputError('unsupported_sample_rate', `mediaFormat.sampleRate must be ${TWILIO_MEDIA_FORMAT.sampleRate}`);
    const { [TOKEN_PARAMETER]: token, ...customParameters } = start.customParameters;
    if (this.keyAtStart && !this.keyAtStart.matches(typeof token === 'string' ? token : undefined))
      throw new CallInputError('unauthenticated', `missing or unknown API key (customParameters.${TOKEN_PARAMETER})`);
    const tracks = [...new Set(start.tracks)];
    const { inboundParty, outboundParty } = this.ctx.config.protocols.twilio;
    const parties = tracks.map((track) => (track === 'inbound' ? inboundParty : outboundParty));
    clearTimeout(this.startTimer);
    this.session = this.ctx.calls.openCall({
      callId: start.callSid,
      protocol: PROTOCOL,
      format: { encoding: 'mulaw', sampleRate: format.sampleRate, channels: parties.length },
      parties,
      language: 'en',
      ...(this.keyAtStart && typeof token === 'string' ? { source: { keyId: this.keyAtStart.identify([token]) } } : {}),
      metadata: {
        ...customParameters,
        twilio: { accountSid: start.accountSid, callSid: start.callSid, streamSid: start.streamSid, tracks },
      },
    });
    tracks.forEach((track, i) =>
      this.tracks.set(track, { party: parties[i]!, clock: new TrackClock(format.sampleRate, GAP_TOLERANCE_MS, MAX_GAP_FILL_MS, this.ctx.config.limits.maxGapMs) }),
    );
    this.state = 'streaming';
    this.session.events$.subscribe(
      guardedObserver(
        {
          next: (event) => {
            if (event.type === 'summary') this.close(1000, 'call ended');
          },
          complete: () => this.close(1000, 'call ended'),
        },
        (err) => this.fail(err),
      ),
    );
  }

  /** Media layer: one 20 ms mu-law packet of one track, placed at its timestamp on that track. */
  private onMedia(message: MediaMessage): void {
    if (this.state === 'stopped') return; // stragglers after stop
    if (this.state !== 'streaming' || !this.session) throw new CallInputError('audio_before_start', 'media received before start');
    const { track: name, timestamp, payload } = message.media;
    const track = this.tracks.get(name);
    if (!track) throw new CallInputError('bad_message', `media for track "${name}" that start did not announce`);
    const gap = track.clock.gapBefore(timestamp);
    if (gap.fill > 0) this.session.pushPartyAudio(track.party, silenceBytes('mulaw', gap.fill));
    if (gap.skip > 0) this.session.skipAudio(samplesToMs(gap.skip, track.clock.sampleRate), track.party);
    const bytes = Buffer.from(payload, 'base64');
    if (bytes.length === 0) return;
    this.session.pushPartyAudio(track.party, bytes);
    track.clock.advance(bytes.length);
  }

  /** DTMF digits can be card numbers or PINs: count them, never keep them. */
  private onDtmf(): void {
    this.dtmfCount++;
    this.session?.updateMetadata({ dtmfCount: this.dtmfCount });
  }

  private onStop(): void {
    if (this.state !== 'streaming' || !this.session) throw new CallInputError('bad_message', 'stop received before start');
    this.state = 'stopped';
    const gaps: Record<string, { filledMs: number; unfilledMs: number }> = {};
    for (const { party, clock } of this.tracks.values())
      if (clock.filledMs > 0 || clock.unfilledMs > 0) gaps[party] = { filledMs: clock.filledMs, unfilledMs: clock.unfilledMs };
    if (Object.keys(gaps).length > 0) this.session.updateMetadata({ mediaGaps: gaps });
    void this.session.stop('stop');
  }

  private close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    clearTimeout(this.startTimer);
    this.state = 'closed';
    this.socket.close(code, closeReason(reason));
  }
}

