/** The part of a grpc-js server stream (a Node object-mode Writable) the writer needs. */
export interface ResponseSink<T> {
  write(message: T): boolean;
  /** True after write() returned false, until 'drain': the client is reading slower than we write. */
  readonly writableNeedDrain: boolean;
  /** False once the stream has ended or was destroyed (client cancelled). */
  readonly writable: boolean;
}

/**
 * Backpressure policy for response streams, the same as the WebSocket adapters': while the client is
 * behind (write() said stop and the stream has not drained), droppable messages — partial
 * transcripts, superseded by the next partial or the final anyway — are skipped and counted.
 * Everything else (finals, alerts, the summary) is always queued, so the queue is bounded by
 * the call's non-droppable output.
 */
export class ResponseWriter<T> {
  private droppedCount = 0;
  private sentCount = 0;

  constructor(private readonly sink: ResponseSink<T>) {}

  /** Queues a message that must arrive. Returns false if the stream is already closed. */
  send(message: T): boolean {
    if (!this.sink.writable) return false;
    this.sink.write(message);
    this.sentCount++;
    return true;
  }

  /** Sends a message the client can live without, unless the client is behind. */
  sendDroppable(message: T): boolean {
    if (this.sink.writable && this.sink.writableNeedDrain) {
      this.droppedCount++;
      return false;
    }
    return this.send(message);
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get sent(): number {
    return this.sentCount;
  }
}
