import type { AsrEngine, AsrStream, CallAudio } from './types.js';

/**
 * The recognizer of an engine that only takes text calls (`voc replay` / `voc eval rules` of
 * transcript files): no model is loaded, and an audio call is refused when it opens.
 */
export class NoAsrEngine implements AsrEngine {
  readonly sampleRate = 16_000;

  openStream(): AsrStream {
    throw new Error('no speech model is loaded: this run takes transcripts only');
  }

  openCall(): CallAudio {
    return this.openStream() as never;
  }

  async close(): Promise<void> {}
}
