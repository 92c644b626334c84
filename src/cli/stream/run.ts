import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { StreamCall, type CallOutcome } from './call.js';
import { connect } from './connect.js';
import { Interrupt } from '../interrupt.js';
import { defaultCallId, openRecording, partiesFor } from './recording.js';

export interface StreamOptions {
  file: string;
  url: string;
  callId: string | undefined;
  parties: string[] | undefined;
  language: string;
  /** Times real time; 0 = as fast as the socket drains. */
  speed: number;
  frameMs: number;
  json: boolean;
  partials: boolean;
}

/**
 * `voc stream`: plays a WAV file to a `/v1/stream` endpoint as a live call and prints what the engine
 * says about it. Resolves when the call ended well (summary received, socket closed); otherwise throws
 * a CliError with the reason.
 */
export async function runStream(options: StreamOptions, io: CliIo): Promise<void> {
  const wav = await openRecording(options.file);
  try {
    const { encoding, sampleRate, channels, durationMs } = wav.info;
    const parties = partiesFor(channels, options.parties, options.file);
    const callId = options.callId ?? defaultCallId(options.file);
    const socket = await connect(options.url);
    const pace = options.speed > 0 ? `${options.speed}x real time` : 'as fast as the socket drains';
    io.err(`voc stream: ${options.file} (${(durationMs / 1000).toFixed(1)} s) -> ${options.url} as call ${callId}, ${pace}`);
    const call = new StreamCall(socket, options, io);
    const interrupt = new Interrupt((signal) => {
      io.err(`\nvoc stream: ${signal}: sending stop and waiting for the call summary (press Ctrl-C again to quit at once)`);
      call.requestStop();
    });
    let outcome: CallOutcome;
    try {
      outcome = await call.run(wav, { callId, encoding, sampleRate, channels, parties, language: options.language });
    } finally {
      interrupt.dispose();
    }
    judge(outcome, options.url, interrupt, io);
  } finally {
    await wav.close();
  }
}

/** Exit 0 only for a call the server summarized after our own stop; every other ending says why. */
function judge(outcome: CallOutcome, url: string, interrupt: Interrupt, io: CliIo): void {
  const { summary, error, close } = outcome;
  if (error) throw new CliError(EXIT.failure, `the server rejected the call: ${error.code}: ${error.message}`);
  if (!summary) {
    if (interrupt.signal) throw new CliError(interrupt.exitCode, `interrupted by ${interrupt.signal} before the call started`);
    const how = `code ${close.code}${close.reason ? `, "${close.reason}"` : ''}`;
    throw new CliError(EXIT.failure, `the connection to ${url} closed (${how}) without a call summary`);
  }
  const rate = outcome.sendingMs > 0 ? ` (${(outcome.sentMs / outcome.sendingMs).toFixed(1)}x real time)` : '';
  io.err(`voc stream: sent ${(outcome.sentMs / 1000).toFixed(1)} s of audio in ${(outcome.sendingMs / 1000).toFixed(1)} s${rate}`);
  const dropped = Object.entries(summary.audio).filter(([, a]) => a.droppedMs > 0);
  if (dropped.length > 0)
    io.err(
      `voc stream: the server dropped audio it could not recognize in time (${dropped.map(([p, a]) => `${p} ${Math.round(a.droppedMs)} ms`).join(', ')}): ` +
        'send slower (--speed 1) or raise asr.maxQueueMs',
    );
  if (interrupt.signal) throw new CliError(interrupt.exitCode, `interrupted by ${interrupt.signal}: the call was stopped early; the summary covers the audio sent`);
  if (summary.endReason !== 'stop')
    throw new CliError(EXIT.failure, `the server ended the call before the recording did (endReason ${summary.endReason})`);
}
