import { speakPhrase } from './tiny-model/speak.js';

/**
 * The start-up capacity probe: how many real-time calls the ASR workers can decode, measured on the
 * loaded model rather than assumed.
 *
 * Every worker at once decodes a built-in sample (tone words and pauses, the shape of speech turns)
 * on a fresh recognizer until the sample ends or the time box is spent, then runs the per-call audio
 * work it also does for every call (decode, resample, frame features, acoustic measures) on the same
 * audio. The real-time factor ((decoding + audio work) time / audio time, over all workers) gives
 * the parties one worker keeps up with while the others are busy too; the workers together, divided
 * by the parties of a call and scaled by the headroom, give the calls admitted by default.
 */

export interface CapacityEstimate {
  /** Decoding time per audio time on one worker (below 1: faster than real time). */
  realTimeFactor: number;
  /** Audio decoded by the probe, ms. */
  decodedMs: number;
  /** Concurrent real-time calls admitted by default. */
  calls: number;
}

export interface CapacityInputs {
  workers: number;
  partiesPerCall: number;
  headroom: number;
}

/** Upper bound of the default, whatever the probe says (sockets and analytics cost too). */
export const MAX_PROBED_CALLS = 2000;

/** About 30 s of one party: phrases and pauses at the model rate. */
export function probeSample(sampleRate: number): Int16Array {
  const phrase = speakPhrase('hello verify account refund supervisor thanks', { sampleRate });
  const pause = new Int16Array(Math.round(sampleRate * 0.8));
  const parts: Int16Array[] = [];
  for (let i = 0; i < 6; i++) parts.push(phrase, pause);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The default admission from a probe's measurement. */
export function estimateCapacity(decodedMs: number, elapsedMs: number, inputs: CapacityInputs): CapacityEstimate {
  const realTimeFactor = decodedMs > 0 ? Math.max(elapsedMs, 0.001) / decodedMs : Infinity;
  const parties = (inputs.workers / realTimeFactor) * inputs.headroom;
  const calls = Math.max(1, Math.min(MAX_PROBED_CALLS, Math.floor(parties / Math.max(1, inputs.partiesPerCall))));
  return { realTimeFactor, decodedMs, calls };
}
