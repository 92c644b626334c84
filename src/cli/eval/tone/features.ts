import { mulawDecode } from '../../../audio/g711.js';
import { pcm16leToInt16 } from '../../../audio/pcm16.js';
import { FrameAnalyzer, frameStartMs } from '../../../audio/features/frame-analyzer.js';
import type { FrameFeatureOptions } from '../../../audio/features/party-frames.js';
import { RaisedToneTracker, type RaisedToneEvent } from '../../../analytics/raised-tone.js';
import type { RaisedToneOptions } from '../../../analytics/measures-options.js';
import { lineAudio, type EvalCall, type LineFormat } from './calls.js';
import type { AlertSpan } from './score.js';

/**
 * Frame features of an evaluation call, computed once and kept, so that many raised-tone settings
 * can be tried on the same call (the cross-validated threshold search). The features come from the
 * engine's own FrameAnalyzer on the call's line audio decoded as the engine decodes it, and the
 * detector is the engine's own RaisedToneTracker, fed frame by frame as raisedToneFromFrames does:
 * for the same options this gives the alerts the live path gives (checked against `voc eval tone`).
 */

export interface CallFrames {
  frameMs: number;
  count: number;
  startMs: Float64Array;
  levelDb: Float32Array;
  f0Hz: Float32Array;
  tiltDb: Float32Array;
}

/** Chunk size the audio is pushed in (the analyzer's output does not depend on it). */
const CHUNK_MS = 100;

export function callFrames(call: EvalCall, format: LineFormat, options: FrameFeatureOptions): CallFrames {
  const audio = lineAudio(call, format);
  const pcm = audio.encoding === 'pcm16' ? pcm16leToInt16(audio.bytes) : mulawDecode(audio.bytes);
  const analyzer = new FrameAnalyzer('customer', { ...options, sampleRate: audio.sampleRate });
  const capacity = Math.ceil(pcm.length / analyzer.hopSamples) + 1;
  const out: CallFrames = {
    frameMs: (analyzer.hopSamples * 1000) / audio.sampleRate,
    count: 0,
    startMs: new Float64Array(capacity),
    levelDb: new Float32Array(capacity),
    f0Hz: new Float32Array(capacity),
    tiltDb: new Float32Array(capacity),
  };
  const chunk = (audio.sampleRate * CHUNK_MS) / 1000;
  for (let at = 0; at < pcm.length; at += chunk) {
    const batch = analyzer.push(pcm.subarray(at, Math.min(at + chunk, pcm.length)), at);
    if (batch === null) continue;
    for (let i = 0; i < batch.count; i++) {
      const n = out.count++;
      out.startMs[n] = frameStartMs(batch.firstFrame + i, batch.hopSamples, batch.sampleRate);
      out.levelDb[n] = batch.levelDb[i]!;
      out.f0Hz[n] = batch.f0Hz[i]!;
      out.tiltDb[n] = batch.tiltDb[i]!;
    }
  }
  return out;
}

/** The raised-tone alerts of one call's frames under `options`. */
export function trackAlerts(frames: CallFrames, options: RaisedToneOptions): AlertSpan[] {
  const tracker = new RaisedToneTracker('customer', options, frames.frameMs);
  const events: RaisedToneEvent[] = [];
  const alerts: AlertSpan[] = [];
  const collect = (): void => {
    for (const e of events) if (e.type === 'alert') alerts.push({ startMs: e.alert.startMs, endMs: e.alert.endMs });
    events.length = 0;
  };
  for (let i = 0; i < frames.count; i++) {
    tracker.frame(frames.startMs[i]!, frames.levelDb[i]!, frames.f0Hz[i]!, frames.tiltDb[i]!, events);
    if (events.length > 0) collect();
  }
  tracker.finish(events);
  collect();
  return alerts;
}
