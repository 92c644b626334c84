import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { TranscriptEvent } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';
import type { CallSession } from '../../session/types.js';
import type { IngestContext } from '../adapter.js';
import { closeCodeFor } from '../ws-send.js';
import { guardedObserver } from '../guarded-observer.js';
import { closeReason, describeIssue, parseJson, recordInputFault, sendText } from '../ws-socket.js';
import { PacedFeeder } from '../paced-feeder.js';
import { configMessageSchema, eofMessageSchema, resetMessageSchema, resultReply, type ConfigMessage, type ReplyOptions, type VoskReply } from './messages.js';

export const PROTOCOL = 'vosk';

/** vosk-server's default rate (VOSK_SAMPLE_RATE) when the client sends no config. */
export const VOSK_DEFAULT_SAMPLE_RATE = 8000;

type State = 'configuring' | 'streaming' | 'ending' | 'gone';

/**
 * One vosk-server client. configuring (config messages) -> streaming (first audio opened the call)
 * -> ending (eof: flush, final result, close) -> gone.
 *
 * Reply contract, as vosk-server's: each audio message is answered with one partial or result once
 * that audio is decoded, in order. A client that waits for each reply (websocket/test.py) is thereby
 * held to decoding speed and never loses audio; one that sends without waiting has its socket paused
 * while the recognizer is half a queue behind (PacedFeeder), so TCP slows it down instead of audio
 * being dropped. A reply carries the oldest final utterance not yet sent (`{"result": [...], "text":
 * ...}`), else the latest partial (`{"partial": ...}`, "" after a final). `{"reset": 1}` ends the
 * utterance in progress, as vosk-server's FinalResult() does: after the audio before it is decoded,
 * the recognizer's result so far becomes final, and the reply merges it with the finals not yet
 * sent; recognition starts afresh and the stream carries on. Replies leave in the order of the
 * messages they answer (a reply chain: a reset's reply waits for its result, later ones wait for it). At eof, after the last audio reply, the recognizer is flushed and everything final not yet
 * sent is merged into the one final result; then the server closes.
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
  private feeder: PacedFeeder | undefined;
  /** Replies in the order of the messages they answer. */
  private replies: Promise<void> = Promise.resolve();
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
    if (isObject && 'reset' in json) {
      const reset = resetMessageSchema.safeParse(json);
      if (!reset.success) throw new CallInputError('bad_message', 'reset must be {"reset" : 1}');
      return this.onReset();
    }
    throw new CallInputError('unknown_message', 'text messages are {"config": {...}}, {"reset" : 1} or {"eof" : 1}');
  }

  onBinary(bytes: Buffer): void {
    if (this.state === 'gone' || this.state === 'ending') return;
    if (!this.session) this.begin();
    this.feeder!.push(bytes, () => this.queueReply(() => this.nextReply()));
  }

  fail(err: unknown): void {
    if (this.state === 'gone') return;
    const error = recordInputFault(this.ctx, PROTOCOL, err, { callId: this.session?.callId });
    this.close(closeCodeFor(error.code), `${error.code}: ${error.message}`);
    void this.session?.stop('error');
  }

  onClose(): void {
    clearTimeout(this.startTimer);
    const streaming = this.state === 'streaming' || this.state === 'ending';
    this.state = 'gone';
    // Audio the client sent before going away still counts (the drop policy applies to it).
    this.feeder?.flush();
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

  private begin(): void {
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
    const { asr } = this.ctx.config;
    this.feeder = new PacedFeeder(
      this.session,
      { maxQueueMs: asr.maxQueueMs, pacing: { bytesPerMs: (this.sampleRate * 2) / 1000, chunkMs: asr.chunkMs } },
      this.socket,
      { onError: (err) => this.fail(err), onDrainedStop: () => this.finishEof() },
    );
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
  }

  private nextReply(): VoskReply {
    const final = this.finals.shift();
    return final ? resultReply([final], this.reply) : { partial: this.partial };
  }

  /**
   * reset (vosk-server: `rec.FinalResult()`, and the stream goes on): once the audio before it is
   * handed to the call, the utterance in progress is ended; the reply, after the replies to that
   * audio, is the result so far merged with the finals not yet sent.
   */
  private onReset(): void {
    const feeder = this.feeder;
    const session = this.session;
    if (!feeder || !session) return this.queueReply(() => resultReply([], this.reply));
    let ended: Promise<void> = Promise.resolve();
    // A marker frame of no audio: it reaches the call after every earlier frame, and its reply comes after theirs.
    feeder.push(
      Buffer.alloc(0),
      () => this.queueReply(async () => {
        await ended;
        return resultReply(this.finals.splice(0), this.reply);
      }),
      () => (ended = session.endUtterance()),
    );
  }

  /** Sends a reply after every reply queued before it (a reset's waits for its result). */
  private queueReply(make: () => VoskReply | Promise<VoskReply>): void {
    this.replies = this.replies
      .then(async () => {
        const reply = await make();
        if (this.state !== 'gone') this.send(reply);
      })
      .catch((err: unknown) => this.fail(err));
  }

  /** eof: after the last audio reply, flush the recognizer, answer with everything final not yet sent, close (as vosk-server does). */
  private onEof(): void {
    if (!this.feeder) {
      this.state = 'ending';
      this.queueReply(() => resultReply([], this.reply));
      void this.replies.then(() => this.close(1000, 'eof'));
      return;
    }
    this.state = 'ending';
    this.feeder.stop();
  }

  private finishEof(): void {
    const session = this.session;
    if (!session || this.state === 'gone') return;
    // After the replies still on their way (a reset's waits for its result).
    void this.replies
      .then(() => session.stop('stop'))
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
    this.feeder?.dispose();
    this.socket.close(code, closeReason(reason));
  }
}
