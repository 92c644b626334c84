import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../../src/asr/worker/outbox.js';

type Message = { n: number; samples?: Int16Array; bytes?: Uint8Array };

/** Every batch the far end of the channel receives, in arrival order. */
function receiver(port: MessagePort): Message[][] {
  const batches: Message[][] = [];
  port.on('message', (batch: Message[]) => batches.push(batch));
  return batches;
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('Outbox', () => {
  let channel: MessageChannel;
  afterEach(() => {
    channel.port1.close();
    channel.port2.close();
  });

  it('sends what is posted within one event-loop turn as one message, in order, moving the buffers', async () => {
    channel = new MessageChannel();
    const batches = receiver(channel.port2);
    const outbox = new Outbox<Message>(channel.port1);
    const buffers = [new Int16Array([1, 2, 3]), new Int16Array([4, 5])];
    outbox.post({ n: 1, samples: buffers[0] }, buffers[0]!.buffer);
    outbox.post({ n: 2 });
    outbox.post({ n: 3, samples: buffers[1] }, buffers[1]!.buffer);
    expect(buffers[0]!.length).toBe(3); // nothing has left yet
    await nextTurn();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((m) => m.n)).toEqual([1, 2, 3]);
    expect(Array.from(batches[0]![2]!.samples!)).toEqual([4, 5]);
    expect(buffers.map((b) => b.buffer.byteLength)).toEqual([0, 0]); // transferred, not copied
  });

  it('starts a new batch in the next turn, and flush() sends at once', async () => {
    channel = new MessageChannel();
    const batches = receiver(channel.port2);
    const outbox = new Outbox<Message>(channel.port1);
    outbox.post({ n: 1 });
    await nextTurn();
    outbox.post({ n: 2 });
    outbox.flush();
    outbox.post({ n: 3 });
    await nextTurn();
    outbox.flush(); // nothing queued: nothing sent
    await nextTurn();
    expect(batches.map((b) => b.map((m) => m.n))).toEqual([[1], [2], [3]]);
  });

  it('carries copyIn() bytes in the batch: intact, aligned, the caller bytes untouched, however many', async () => {
    channel = new MessageChannel();
    const batches = receiver(channel.port2);
    const outbox = new Outbox<Message>(channel.port1);
    const frame = (n: number, length: number) => Uint8Array.from({ length }, (_, i) => (n * 31 + i) & 0xff);
    const sent: Uint8Array[] = [];
    // 320-byte frames past one 16 KB buffer, an odd size, and one larger than a buffer.
    for (let n = 0; n < 60; n++) sent.push(frame(n, n === 7 ? 161 : 320));
    sent.push(frame(60, 40_000));
    sent.forEach((bytes, n) => outbox.post({ n, bytes: outbox.copyIn(bytes) }));
    expect(sent[0]!.byteLength).toBe(320); // the caller's bytes stay usable
    await nextTurn();
    expect(batches).toHaveLength(1);
    const got = batches[0]!;
    expect(got.map((m) => Array.from(m.bytes!))).toEqual(sent.map((b) => Array.from(b)));
    expect(got.every((m) => m.bytes!.byteOffset % 8 === 0)).toBe(true);
    const buffers = new Set(got.map((m) => m.bytes!.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(5); // a few shared buffers, not one per message
  });

  describe('with batchMs', () => {
    afterEach(() => vi.useRealTimers());

    /** An outbox whose batches are recorded as they are sent, on fake timers. */
    function recorded(batchMs: number): { outbox: Outbox<Message>; sent: number[][] } {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
      const sent: number[][] = [];
      const outbox = new Outbox<Message>({ postMessage: (batch) => sent.push((batch as Message[]).map((m) => m.n)) }, batchMs);
      return { outbox, sent };
    }

    it('lets waiting messages from many turns travel together, for at most batchMs', () => {
      const { outbox, sent } = recorded(20);
      outbox.post({ n: 1 }, undefined, true);
      vi.advanceTimersByTime(5); // turns pass, as frames of other calls arrive
      outbox.post({ n: 2 }, undefined, true);
      vi.advanceTimersByTime(14);
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(sent).toEqual([[1, 2]]);
      outbox.post({ n: 3 }, undefined, true); // the next batch's wait starts with its first message
      vi.advanceTimersByTime(19);
      expect(sent).toEqual([[1, 2]]);
      vi.advanceTimersByTime(1);
      expect(sent).toEqual([[1, 2], [3]]);
    });

    it('sends a prompt message at the end of its turn, taking the waiting ones along in order', () => {
      const { outbox, sent } = recorded(20);
      outbox.post({ n: 1 }, undefined, true);
      vi.advanceTimersByTime(5);
      outbox.post({ n: 2 }); // e.g. a stream's end: after the audio before it
      outbox.post({ n: 3 }, undefined, true); // posted in the same turn: goes with it
      vi.advanceTimersToNextTimer(); // the end of the turn (setImmediate)
      expect(sent).toEqual([[1, 2, 3]]);
      vi.advanceTimersByTime(50); // the cancelled wait sends nothing more
      expect(sent).toEqual([[1, 2, 3]]);
    });

    it('without batchMs, waiting messages leave at the end of the turn like any other', () => {
      const { outbox, sent } = recorded(0);
      outbox.post({ n: 1 }, undefined, true);
      vi.advanceTimersToNextTimer();
      expect(sent).toEqual([[1]]);
    });
  });
});
