import type { Observable } from 'rxjs';
import type { WireAudioFormat } from '../audio/format.js';
import type { CallEndReason, CallEvent, CallInput, CallSummary } from '../events/schema.js';
import type { Utterance } from './text-transcriber.js';

/** Everything an ingest adapter knows when a call starts, whatever its protocol. */
export interface CallStart {
  callId: string;
  /** Ingest adapter name: 'stream', 'grpc', 'twilio', 'audiohook', 'fork', 'vosk', 'replay'. */
  protocol: string;
  /**
   * 'audio' (default): audio through the recognizers. 'text': the client sends utterances
   * (pushUtterance) it transcribed elsewhere; no audio, no ASR, `format` is not used.
   */
  input?: CallInput;
  format: WireAudioFormat;
  /** parties[i] names channel i of interleaved audio (mono calls name one party). */
  parties: string[];
  language: string;
  metadata: Record<string, unknown>;
  /** Who opened the call, for per-address and per-key admission limits (never published). */
  source?: CallSource;
}

/** The client behind a call: its network address and which API key it used (an id, never the key). */
export interface CallSource {
  ip?: string | undefined;
  keyId?: string | undefined;
}

/** The `format` of a text call: it carries no audio, so nothing reads it (sampleRate 0). */
export function textCallFormat(parties: readonly string[]): WireAudioFormat {
  return { encoding: 'pcm16', sampleRate: 0, channels: parties.length };
}

/**
 * One live call, protocol-neutral. Adapters translate their wire protocol into these calls and
 * translate events$ back; analytics and output never see the protocol.
 */
export interface CallSession {
  readonly callId: string;
  readonly start: CallStart;
  /** Transcripts, alerts, withdrawals as they happen; then the summary; then completes. */
  readonly events$: Observable<CallEvent>;
  /** Interleaved audio in the call's wire format. Throws CallInputError('bad_frame_size') on a partial sample frame, 'wrong_input' on a text call. Ignored once the call is ending. */
  pushAudio(bytes: Buffer): void;
  /** Mono audio of one party in the call's wire encoding (protocols that send one track per party). */
  pushPartyAudio(party: string, bytes: Buffer): void;
  /**
   * The sender's clock jumped `ms` ahead with no audio (a long hold, a pause, lost packets) for one
   * party, or all when omitted: later words keep their real times and nothing is decoded for the gap.
   * Ignored once the call is ending.
   */
  skipAudio(ms: number, party?: string): void;
  /**
   * One utterance of a text call (start.input 'text'). Throws CallInputError on bad input (unknown
   * party, times going backwards, oversized or malformed text) and on an audio call ('wrong_input').
   * Ignored once the call is ending.
   */
  pushUtterance(utterance: Utterance): void;
  /**
   * A text call's length, when its client knows it (e.g. `stop` with durationMs): windows relative to
   * the call's end use it. Default: the end of the last utterance. CallInputError when it is shorter.
   */
  declareDuration(durationMs: number): void;
  /**
   * End every party's utterance in progress (vosk-server's reset): once the audio pushed before is
   * decoded, each recognizer's result so far becomes a final transcript and recognition starts
   * afresh. Resolves after those finals were emitted on events$ (a final held back by redaction,
   * ending in a short number, follows later). A text call has nothing in progress: resolves at once.
   */
  endUtterance(): Promise<void>;
  /** The largest backlog of audio waiting for a party's recognizer, ms (for adapters that can push back on their client). */
  readonly asrBacklogMs: number;
  /**
   * The sender paused its audio on purpose (AudioHook `paused`): the idle timeout waits until it
   * resumes (`false`). The call's duration limit still applies.
   */
  pauseInput(paused: boolean): void;
  /** Merge metadata (e.g. AudioHook `update`). */
  updateMetadata(patch: Record<string, unknown>): void;
  /** End the call: flush ASR, finalize analytics, publish the summary. Idempotent. */
  stop(reason?: CallEndReason): Promise<CallSummary>;
}

/** The engine side an ingest adapter talks to. */
export interface CallOpener {
  /** Throws CallInputError with code 'capacity' | 'bad_start' ... (never for a callId in use: see publish/keys.ts). */
  openCall(start: CallStart): CallSession;
  /** False while draining for shutdown: adapters refuse new calls. */
  readonly accepting: boolean;
}
