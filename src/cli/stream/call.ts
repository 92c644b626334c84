import WebSocket, { type RawData } from 'ws';
import type { WavFile } from '../../audio/wav.js';
import { formatAlert, formatDriver, formatSummary, formatTranscript, formatWarning, formatWithdrawn } from '../format.js';
import type { CliIo } from '../io.js';
import { Pacer } from '../replay/pacer.js';
import { parseServerMessage, type ErrorMessage, type ServerMessage, type StartedMessage, type SummaryMessage } from './server-messages.js';
import type { StartMessage } from '../../ingest/stream/messages.js';

/** The fields of the protocol's `start` message that come from the recording and the command line. */
export type CallStart = Pick<StartMessage, 'callId' | 'encoding' | 'sampleRate' | 'channels' | 'parties' | 'language'>;

export interface CallOptions {
  /** Times real time; 0 sends as fast as the socket drains. */
  speed: number;
  frameMs: number;
  json: boolean;
  partials: boolean;
}

/** How the call ended, from the client's side: what the server said and how the socket closed. */
export interface CallOutcome {
  started: StartedMessage | undefined;
  summary: SummaryMessage | undefined;
  error: ErrorMessage | undefined;
  close: { code: number; reason: string };
  /** Audio sent, ms, and the wall-clock time it took. */
  sentMs: number;
  sendingMs: number;
}

/** Unsent bytes above which sending waits: the socket (and the server behind it) sets the pace. */
const HIGH_WATER_BYTES = 64 * 1024;
const DRAIN_POLL_MS = 5;
/** The server answers `start` at once; silence this long means something is wrong. */
const STARTED_TIMEOUT_MS = 10_000;
/** After the summary the server closes the socket; if it does not, close it ourselves. */
const CLOSE_AFTER_SUMMARY_MS = 5_000;

/**
 * One call on an open `/v1/stream` socket: `start`, paced binary frames, `stop`; every server
 * message printed as it arrives. run() resolves once the socket has closed, whatever the reason;
 * the caller decides what the outcome means.
 */
export class StreamCall {
  private started: StartedMessage | undefined;
  private summary: SummaryMessage | undefined;
  private error: ErrorMessage | undefined;
  private stopRequested = false;
  private readonly closed: Promise<{ code: number; reason: string }>;
  private wakeStarted: () => void = () => {};

  constructor(
    private readonly socket: WebSocket,
    private readonly options: CallOptions,
    private readonly io: CliIo,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // Errors after the handshake (reset, protocol violation) are followed by 'close', where they are judged.
    socket.on('error', (err) => this.io.err(`voc stream: socket error: ${err.message}`));
  }

  /** Ctrl-C: stop sending audio and send `stop`; the summary still comes. Before `started`: hang up. */
  requestStop(): void {
    this.stopRequested = true;
    if (!this.started) this.socket.terminate();
  }

  async run(wav: WavFile, start: CallStart): Promise<CallOutcome> {
    // Faster than real time, ask the engine to push back rather than drop what its recognizers cannot take.
    const flowControl = this.options.speed !== 1;
    this.socket.send(JSON.stringify({ type: 'start', ...start, metadata: { source: 'voc stream' }, flowControl }));
    await this.waitForStarted();
    const began = performance.now();
    let sentMs = 0;
    if (this.started) {
      sentMs = await this.sendAudio(wav);
      if (this.socket.readyState === WebSocket.OPEN && !this.summary && !this.error) this.socket.send(JSON.stringify({ type: 'stop' }));
    }
    const sendingMs = performance.now() - began;
    const close = await this.closed;
    return { started: this.started, summary: this.summary, error: this.error, close, sentMs, sendingMs };
  }

  private waitForStarted(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.io.err(`voc stream: no answer to start within ${STARTED_TIMEOUT_MS} ms; hanging up`);
        this.socket.terminate();
      }, STARTED_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.wakeStarted = done;
      void this.closed.then(done);
    });
  }

  /** Frames on a drift-free schedule (call time / speed from the first frame), never ahead of the socket. */
  private async sendAudio(wav: WavFile): Promise<number> {
    const { sampleRate, blockAlign } = wav.info;
    const pacer = this.options.speed > 0 ? new Pacer({ kind: 'speed', factor: this.options.speed }, () => 0) : undefined;
    let audioMs = 0;
    for await (const chunk of wav.chunks(this.options.frameMs)) {
      if (!this.sending()) break;
      await pacer?.before(audioMs);
      while (this.sending() && this.socket.bufferedAmount > HIGH_WATER_BYTES) await sleep(DRAIN_POLL_MS);
      if (!this.sending()) break;
      this.socket.send(chunk);
      audioMs += (chunk.length / blockAlign / sampleRate) * 1000;
    }
    return audioMs;
  }

  private sending(): boolean {
    return !this.stopRequested && this.socket.readyState === WebSocket.OPEN && !this.summary && !this.error;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.io.err('voc stream: ignored a binary message from the server');
    const text = rawText(data);
    const parsed = parseServerMessage(text);
    if (!parsed.ok) return this.io.err(`voc stream: ignored a server message that is not in the protocol (${parsed.problem}): ${text.slice(0, 200)}`);
    const message = parsed.message;
    if (this.options.json) this.io.out(text);
    else this.print(message);
    switch (message.type) {
      case 'started':
        this.started = message;
        this.io.err(`voc stream: call ${message.callId} started (${message.encoding}, ${message.sampleRate} Hz, parties ${message.parties.join(',')})`);
        this.wakeStarted();
        break;
      case 'summary':
        this.summary = message;
        setTimeout(() => this.socket.terminate(), CLOSE_AFTER_SUMMARY_MS).unref();
        break;
      case 'error':
        this.error = message;
        break;
    }
  }

  private print(message: ServerMessage): void {
    switch (message.type) {
      case 'transcript':
        if (message.final || this.options.partials) this.io.out(formatTranscript(message));
        return;
      case 'alert':
        return this.io.out(formatAlert(message));
      case 'alert_withdrawn':
        return this.io.out(formatWithdrawn(message));
      case 'driver':
        return this.io.out(formatDriver(message));
      case 'warning':
        return this.io.err(formatWarning(message));
      case 'summary':
        return this.io.out(formatSummary(message));
      case 'started':
      case 'error':
        return; // reported on stderr: they are about the session, not results
    }
  }
}

/** ws delivers a Buffer, an ArrayBuffer or fragments. */
function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
