import { WavFile } from '../../audio/wav.js';
import type { CallEndReason } from '../../events/schema.js';
import { textCallFormat, type CallSession } from '../../session/types.js';
import type { ReplayEngine } from './engine.js';
import type { ReplayInput, TranscriptReplayInput } from './inputs.js';
import type { Pacer } from './pacer.js';

/**
 * One input (recording or transcript file) played as a call on the replay engine: the one code path
 * behind `voc replay` and `voc eval rules`, so both see what a live call would produce.
 */
export interface PlayOptions {
  language: string;
  /** Audio per chunk, ms (recordings). */
  chunkMs: number;
  /** Set once the user asked to stop: the call ends as cut short ('shutdown'). */
  stopRequested?: () => boolean;
  /** `ms` more of the call was handed to the engine (progress). */
  onAdvance?: (ms: number) => void;
  /** The call's session, right after it opened: subscribe to its events here. */
  onSession: (session: CallSession) => void;
}

export async function playInput(input: ReplayInput, replay: ReplayEngine, pacer: Pacer, options: PlayOptions): Promise<void> {
  if (input.kind === 'transcript') return playTranscript(input, replay, pacer, options);
  const wav = await WavFile.open(input.path);
  const { encoding, sampleRate, channels, blockAlign } = wav.info;
  try {
    const session = replay.engine.openCall({
      callId: input.callId,
      protocol: 'replay',
      format: { encoding, sampleRate, channels },
      parties: input.parties,
      language: options.language,
      metadata: { file: input.path },
    });
    options.onSession(session);
    let audioMs = 0;
    let reason: CallEndReason = 'stop';
    for await (const chunk of wav.chunks(options.chunkMs)) {
      if (options.stopRequested?.()) {
        reason = 'shutdown';
        break;
      }
      await pacer.before(audioMs);
      session.pushAudio(chunk);
      const ms = (chunk.length / blockAlign / sampleRate) * 1000;
      audioMs += ms;
      options.onAdvance?.(ms);
    }
    await session.stop(reason);
  } finally {
    await wav.close();
  }
}

/** A transcript file as a text call: its utterances at their start times (paced) or at once. */
async function playTranscript(input: TranscriptReplayInput, replay: ReplayEngine, pacer: Pacer, options: PlayOptions): Promise<void> {
  const session = replay.engine.openCall({
    callId: input.callId,
    protocol: 'replay',
    input: 'text',
    format: textCallFormat(input.parties),
    parties: input.parties,
    language: options.language,
    metadata: { file: input.path },
  });
  options.onSession(session);
  let reason: CallEndReason = 'stop';
  let doneMs = 0;
  try {
    for (const utterance of input.transcript.utterances) {
      if (options.stopRequested?.()) {
        reason = 'shutdown';
        break;
      }
      await pacer.before(utterance.startMs);
      session.pushUtterance(utterance);
      options.onAdvance?.(Math.max(0, utterance.endMs - doneMs));
      doneMs = Math.max(doneMs, utterance.endMs);
    }
  } catch (err) {
    await session.stop('error');
    throw err;
  }
  await session.stop(reason);
}
