import type { Transferable } from 'node:worker_threads';

/** Size of the buffers copyIn() fills: 16 KB holds 50 stereo 20 ms frames of 8 kHz G.711. */
const ARENA_BYTES = 16 * 1024;

/** Where an Outbox's batches go: a Worker (from the main thread) or a worker's parentPort. */
export interface MessageTarget {
  postMessage(value: unknown, transferList?: readonly Transferable[]): void;
}

/**
 * Coalesces what one thread posts to another within one turn of its event loop into a single
 * postMessage: an array of the messages, in order, moving every message's transferred buffer.
 *
 * Why: each postMessage signals the other thread's event loop, and waking an idle thread costs both
 * sides tens of µs (measured on a 2-core VM: ~44 µs in the sender per message, ~8 µs per message in
 * batches of ten). The engine sends one per decoded chunk and one per wire message, hundreds per
 * second per worker: about 4 % of a worker's time went to posting alone.
 *
 * The receiver gets `T[]`. A message waits at most until the end of the sender's current
 * event-loop turn (or an explicit flush()), except one posted with `wait` when the outbox has a
 * `batchMs`: that one may wait up to batchMs for others to join it (a prompt message still takes
 * it along at once, in order).
 *
 * Why wait: real-time calls' frames arrive one at a time, each in an event-loop turn of its own, so
 * the main thread posted once per 20 ms frame per call (~900 posts a second at 19 realistic-model
 * calls), each waking or interrupting a decoder and costing both threads kernel and scheduler time.
 */
export class Outbox<T> {
  private messages: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private pending: { kind: 'turn'; handle: NodeJS.Immediate } | { kind: 'batch'; handle: NodeJS.Timeout } | undefined;
  /** This batch's buffer for copyIn(), and how much of it is used. */
  private arena: Uint8Array | undefined;
  private arenaUsed = 0;

  /** `batchMs`: how long a message posted with `wait` may wait for company (0: to the end of the turn only). */
  constructor(
    private readonly target: MessageTarget,
    private readonly batchMs = 0,
  ) {}

  /**
   * A copy of `bytes` to put in a message of this batch: a view into one buffer the batch carries
   * (views of one transferred buffer arrive as views of its single copy on the other side). Why:
   * a buffer of its own per message meant, at 200 live calls, ten thousand ArrayBuffers a second
   * allocated, transferred one by one and swept by both threads' scavenges; now it is one per
   * ARENA_BYTES of audio a turn. Views start 8-byte aligned, so typed arrays over them need no copy.
   */
  copyIn(bytes: Uint8Array): Uint8Array {
    let start = (this.arenaUsed + 7) & ~7;
    if (!this.arena || start + bytes.length > this.arena.length) {
      // allocUnsafeSlow: a buffer of its own (transferable, not a slice of Node's pool), not zero-filled.
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, bytes.length));
      this.transfer.push(this.arena.buffer as ArrayBuffer);
      start = 0;
    }
    this.arena.set(bytes, start);
    this.arenaUsed = start + bytes.length;
    return new Uint8Array(this.arena.buffer, this.arena.byteOffset + start, bytes.length);
  }

  /**
   * Queues `message`; `buffer` moves with it (the sender must not touch it again). `wait`: it may
   * wait up to batchMs (audio, which the receiver gathers into longer chunks anyway); otherwise it
   * leaves at the end of this turn, with everything queued before it.
   */
  post(message: T, buffer?: ArrayBuffer, wait = false): void {
    this.messages.push(message);
    if (buffer) this.transfer.push(buffer);
    if (wait && this.batchMs > 0) {
      this.pending ??= { kind: 'batch', handle: setTimeout(() => this.flush(), this.batchMs) };
    } else if (this.pending?.kind !== 'turn') {
      this.cancelPending();
      this.pending = { kind: 'turn', handle: setImmediate(() => this.flush()) };
    }
  }

  /** Sends what is queued, now. */
  flush(): void {
    this.cancelPending();
    if (this.messages.length === 0) return;
    const { messages, transfer } = this;
    this.messages = [];
    this.transfer = [];
    this.arena = undefined; // it moves with this batch
    this.arenaUsed = 0;
    this.target.postMessage(messages, transfer);
  }

  private cancelPending(): void {
    if (this.pending?.kind === 'turn') clearImmediate(this.pending.handle);
    else if (this.pending?.kind === 'batch') clearTimeout(this.pending.handle);
    this.pending = undefined;
  }
}
