import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { TranscriptEvent } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { CallSession } from '../../session/types.js';
import type { IngestContext } from '../adapter.js';
import { closeCodeFor } from '../ws-send.js';
import { guardedObserver } from '../guarded-observer.js';
import { closeReason, describeIssue, parseJson, recordInputFault, sendText } from '../ws-socket.js';
import { configMessageSchema, eofMessageSchema, resultReply, type ConfigMessage, type ReplyOptions, type VoskReply } from './messages.js';

export const PROTOCOL = 'vosk';

/** vosk-server's default rate (VOSK_SAMPLE_RATE) when the client sends no config. */
export const VOSK_DEFAULT_SAMPLE_RATE = 8000;

type State = 'configuring' | 'streaming' | 'ending' | 'gone';

/**
 * One vosk-server client. configuring (config messages) -> streaming (first audio opened the call)
 * -> ending (eof: flush, final result, close) -> gone.
 *
 * Reply contract. vosk-server decodes each audio message synchronously and answers it with a
 * partial or a result. Our recognizer runs off the main thread and its results arrive later, so each
 * audio message is answered at once with what is known by then: the oldest final utterance not yet
 * sent (`{"result": [...], "text": ...}`), else the latest partial of the utterance in progress
 * (`{"partial": ...}`, "" after a final). Every audio message gets exactly one reply, in order, and
 * no final is lost: finals that arrive faster than audio messages wait for the next replies, and
 * all still unsent at eof are merged into the one final result, sent after the recognizer flushed.
 * Results therefore trail the audio by the recognizer's latency (a few hundred ms), as they would
 * with a loaded vosk-server.
 *
 * Faults close the socket with a reason (vosk-server has no error message; it closes too).
 */
export class VoskStream {
  private state: State = 'configuring';
  private session: CallSession | undefined;
  private sampleRate = VOSK_DEFAULT_SAMPLE_RATE;
  private readonly reply: ReplyOptions = { words: true, maxAlternatives: 0 };
  private readonly finals: TranscriptEvent[] = [];
  private partial = '';
  private readonly startTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: IngestContext,
  ) {
    this.startTimer = setTimeout(
      () => this.fail(new CallInputError('timeout', `no message within ${ctx.config.server.startTimeoutMs} ms`)),
      ctx.config.server.startTimeoutMs,
    );
  }

  onText(text: string): void {
    if (this.state === 'gone' || this.state === 'ending') return;
    // The start timer runs until the first audio (begin): a config message alone does not start a call.
    const json = parseJson(text);
    const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
    if (isObject && 'config' in json) return this.onConfig(json);
    if (isObject && 'eof' in json) {
      const eof = eofMessageSchema.safeParse(json);
      if (!eof.success) throw new CallInputError('bad_message', 'eof must be {"eof" : 1}');
      return this.onEof();
    }
    throw new CallInputError('unknown_message', 'text messages are {"config": {...}} or {"eof" : 1}');
  }

  onBinary(bytes: Buffer): void {
    if (this.state === 'gone' || this.state === 'ending') return;
    const session = this.session ?? this.begin();
    session.pushAudio(bytes);
    this.send(this.nextReply());
  }

  fail(err: unknown): void {
    if (this.state === 'gone') return;
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId });
    this.close(closeCodeFor(error.code), `${error.code}: ${error.message}`);
    void this.session?.stop('error');
  }

  onClose(): void {
    clearTimeout(this.startTimer);
    const streaming = this.state === 'streaming';
    this.state = 'gone';
    if (streaming) void this.session?.stop('disconnect');
  }

  private onConfig(json: object): void {
    const parsed = configMessageSchema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = describeIssue(parsed.error);
      throw new CallInputError('bad_message', `invalid config: field "${field}": ${message}`);
    }
    if (this.state !== 'configuring') {
      // vosk-server builds its recognizer on the first audio; later config does not reach it either.
      this.ctx.log.debug({ protocol: PROTOCOL, callId: this.session?.callId }, 'config after audio ignored');
      return;
    }
    this.applyConfig(parsed.data.config);
  }

  private applyConfig(config: ConfigMessage['config']): void {
    if (config.sample_rate !== undefined) {
      const rate = config.sample_rate;
      if (!Number.isInteger(rate) || !this.ctx.config.limits.allowedSampleRates.includes(rate))
        throw new CallInputError('unsupported_sample_rate', `sample_rate ${rate} not allowed; allowed: ${this.ctx.config.limits.allowedSampleRates.join(', ')}`);
      this.sampleRate = rate;
    }
    if (config.words !== undefined) this.reply.words = Boolean(config.words);
    if (config.max_alternatives !== undefined) this.reply.maxAlternatives = config.max_alternatives;
    if (config.phrase_list !== undefined)
      this.ctx.log.info({ protocol: PROTOCOL, callId: this.session?.callId, phrases: config.phrase_list.length }, 'phrase_list ignored: the shared recognizer has no per-call grammar');
  }

  private begin(): CallSession {
    clearTimeout(this.startTimer);
    const party = this.ctx.config.protocols.vosk.party;
    this.state = 'streaming';
    this.session = this.ctx.calls.openCall({
      callId: `vosk-${randomUUID()}`,
      protocol: PROTOCOL,
      format: { encoding: 'pcm16', sampleRate: this.sampleRate, channels: 1 },
      parties: [party],
      language: this.ctx.config.protocols.vosk.language,
      metadata: {},
    });
    this.session.events$.subscribe(
      guardedObserver(
        {
          next: (event) => {
            if (event.type !== 'transcript') return;
            if (event.final) {
              this.finals.push(event);
              this.partial = '';
            } else {
              this.partial = event.text;
            }
          },
        },
        (err) => this.fail(err),
      ),
    );
    return this.session;
  }

  private nextReply(): VoskReply {
    const final = this.finals.shift();
    return final ? resultReply([final], this.reply) : { partial: this.partial };
  }

  /** eof: flush the recognizer, answer with everything final not yet sent, close (as vosk-server does). */
  private onEof(): void {
    if (!this.session) {
      this.send(resultReply([], this.reply));
      this.close(1000, 'eof');
      return;
    }
    this.state = 'ending';
    const session = this.session;
    void session
      .stop('stop')
      .then(() => {
        this.send(resultReply(this.finals.splice(0), this.reply));
        this.close(1000, 'eof');
      })
      .catch((err: unknown) => this.fail(err));
  }

  private send(reply: VoskReply): void {
    sendText(this.socket, JSON.stringify(reply));
  }

  private close(code: number, reason: string): void {
    if (this.state === 'gone') return;
    clearTimeout(this.startTimer);
    this.state = 'gone';
    this.socket.close(code, closeReason(reason));
  }
}
