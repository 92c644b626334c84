import { Subject, type Observable } from 'rxjs';
import { msToSamples, samplesToMs, type PartyPcm } from '../audio/format.js';
import { resamplerHoldMs } from '../audio/resampler.js';
import type { CallAnalytics, DetectorOutput } from '../analytics/types.js';
import { AsrWorkerLostError } from '../asr/errors.js';
import type { ModelFitWarning } from '../asr/model-fit.js';
import type { ModelInfo } from '../asr/model-info.js';
import type { AsrEngine, AsrStream, CallAudio, PartyAudioTaken } from '../asr/types.js';
import {
  EVENT_SCHEMA_VERSION,
  type AlertEvent,
  type CallEndReason,
  type CallEvent,
  type CallSummary,
  type DriverEvent,
  type TranscriptEvent,
} from '../events/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { newRecordId } from '../publish/keys.js';
import type { CallPublisher } from '../publish/redis-publisher.js';
import { CallInputError } from './errors.js';
import { checkMetadata, type MetadataLimits } from './metadata-limits.js';
import { TextTranscriber, type TextInputLimits, type Utterance } from './text-transcriber.js';
import { TranscriptAssembler } from './transcript-assembler.js';
import type { CallSession, CallStart } from './types.js';

export interface CallSessionDeps {
  asr: AsrEngine;
  /** This call's analytics (rules snapshot taken at call start); its `acoustic` measures are computed on the call's ASR worker. */
  analytics: CallAnalytics;
  publisher: CallPublisher;
  metrics: EngineMetrics;
  log: Logger;
  /** Masks personal data in transcripts before they leave the process; one instance per call. */
  redact: CallRedactor;
  now?: () => Date;
  /** The call's end waits at most this long for the summary write (redis.summaryWaitMs); default 2000. */
  summaryWaitMs?: number;
  /** Bounds of metadata merged in during the call (limits.metadata); unset = unchecked (offline replay). */
  metadataLimits?: MetadataLimits;
  /** The end waits at most this long for the recognizers and then for the analytics (limits.finishTimeoutMs); default 30 000. */
  finishTimeoutMs?: number;
  /** Bounds of a text call's utterances (limits.maxUtterance*). */
  textLimits: TextInputLimits;
  /** No audio within this long of the start ends the call as 'timeout' (server.startTimeoutMs); unset = no limit. */
  firstAudioTimeoutMs?: number;
  /** No audio for this long ends the call as 'timeout' (server.idleTimeoutMs); unset = no limit. */
  idleTimeoutMs?: number;
  /** Called once when the call has ended and its summary is published. */
  onEnded?: (summary: CallSummary) => void;
  /** The model's self-description: a test model is checked against the call's audio (warning `model_fit`). */
  modelInfo?: ModelInfo | undefined;
}

/**
 * Masks transcripts before they leave. It may hold an event back (a number that may still grow) and
 * emit it later, so it emits rather than returns.
 */
export interface CallRedactor {
  push(event: TranscriptEvent, emit: (event: TranscriptEvent) => void): void;
  /** The call's transcripts are complete: emit whatever is held. */
  flush(): void;
}

interface PartyState {
  asr: AsrStream;
  assembler: TranscriptAssembler;
  receivedSamples: number;
  droppedModelSamples: number;
  asrDone: Promise<void>;
}

const NO_SAMPLES = new Int16Array(0);

/**
 * One live call: hands its audio to its CallAudio (decoded, resampled, recognized and analysed for
 * the acoustic measures on an ASR worker thread), runs the call's analytics over the transcripts and
 * the acoustic outputs, and publishes alerts, tags and the summary. Protocol-neutral.
 * A text call (start.input 'text') has no decoder and no recognizers: its client's utterances
 * become the transcripts, and everything after that is the same.
 */
export class LiveCallSession implements CallSession {
  readonly callId: string;
  /** This call among every call that used its callId (a callId may be used again; each use is kept). */
  readonly record: string;
  readonly events$: Observable<CallEvent>;
  private readonly events = new Subject<CallEvent>();
  private readonly transcripts = new Subject<TranscriptEvent>();
  private readonly audio = new Subject<PartyPcm>();
  private readonly durationMs = new Subject<number>();
  /** Audio calls only. */
  private readonly callAudio: CallAudio | undefined;
  private warned = false;
  /** Text calls only. */
  private readonly text: TextTranscriber | undefined;
  private readonly parties = new Map<string, PartyState>();
  /** Audio the worker's resampler holds back for this call's rate (0 at the model's rate), ms. */
  private readonly resamplerHoldMs: number;
  private readonly alertsByKey = new Map<string, AlertEvent>();
  private readonly tags = new Set<string>();
  private readonly sections: Record<string, unknown> = {};
  private readonly transcript: TranscriptEvent[] = [];
  private readonly analyticsDone: Promise<void>;
  private readonly startedAt: Date;
  private readonly now: () => Date;
  private stopping: Promise<CallSummary> | undefined;
  /** Input watchdog: when audio last arrived (ms, Date.now), whether any did, whether the sender paused on purpose. */
  private lastInputAt = Date.now();
  private sawInput = false;
  private inputPaused = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    readonly start: CallStart,
    private readonly deps: CallSessionDeps,
  ) {
    this.callId = start.callId;
    this.now = deps.now ?? (() => new Date());
    this.startedAt = this.now();
    this.record = newRecordId(this.startedAt.getTime());
    this.events$ = this.events.asObservable();
    this.resamplerHoldMs = start.input === 'text' ? 0 : resamplerHoldMs(start.format.sampleRate, deps.asr.sampleRate);
    if (start.input === 'text') {
      this.text = new TextTranscriber(start.callId, start.parties, deps.textLimits);
    } else {
      // Throws (and frees what it made) when the format is bad or a recognizer cannot be created.
      this.callAudio = deps.asr.openCall({
        callId: start.callId,
        protocol: start.protocol,
        format: start.format,
        parties: start.parties,
        ...(deps.analytics.acoustic ? { acoustic: deps.analytics.acoustic } : {}),
        ...(deps.modelInfo ? { modelInfo: deps.modelInfo } : {}),
      });
      for (const [party, stream] of this.callAudio.streams) this.parties.set(party, this.openParty(party, stream));
      this.callAudio.warnings$.subscribe(({ party, warning }) => this.guard('warning', () => this.warnModelFit(party, warning)));
    }
    this.analyticsDone = this.runAnalytics();
    void deps.publisher.callStarted(start, this.startedAt, this.record);
    this.armWatchdog();
  }

  pushAudio(bytes: Buffer): void {
    if (this.stopping) return; // frames in flight when the call ended (duration limit, shutdown): not a client fault
    this.accept(this.audioIn().pushInterleaved(bytes));
    this.noteInput();
  }

  pushPartyAudio(party: string, bytes: Buffer): void {
    if (this.stopping) return;
    this.accept([this.audioIn().pushParty(party, bytes)]);
  }

  pushUtterance(utterance: Utterance): void {
    if (this.stopping) return;
    if (!this.text) throw new CallInputError('wrong_input', 'utterances are for text calls: start the call with input "text"');
    const event = this.text.next(utterance);
    this.noteInput();
    this.deps.redact.push(event, (redacted) => this.guard('transcript', () => this.emitTranscript(redacted)));
  }

  declareDuration(durationMs: number): void {
    if (this.stopping) return;
    if (!this.text) throw new CallInputError('wrong_input', 'durationMs is for text calls; an audio call lasts as long as its audio');
    this.text.declareEnd(durationMs);
  }

  pauseInput(paused: boolean): void {
    this.inputPaused = paused;
    this.noteInput();
  }

  skipAudio(ms: number, party?: string): void {
    if (this.stopping || !(ms > 0)) return;
    this.noteInput();
    const audio = this.audioIn();
    const rate = this.start.format.sampleRate;
    const samples = msToSamples(ms, rate);
    for (const name of party === undefined ? this.start.parties : [party]) {
      const state = this.parties.get(name);
      if (!state) throw new CallInputError('bad_message', `unknown party ${name}`);
      const at = audio.skip(name, samples);
      // Constant time whatever the gap: analytics get an empty chunk at the gap's end, which moves their
      // clocks there; the frames in between count as silence (nothing is allocated or analyzed for them).
      this.audio.next({ party: name, samples: NO_SAMPLES, sampleRate: rate, startSample: at + samples });
      state.receivedSamples += samples;
      state.asr.skip(msToSamples(ms, this.deps.asr.sampleRate));
    }
  }

  async endUtterance(): Promise<void> {
    if (this.stopping) return;
    await Promise.all([...this.parties.values()].map((p) => p.asr.cut()));
  }

  /**
   * Audio the recognizers have not decoded yet, ms. The resampler's look-ahead is left out: it is
   * charged to the queue when sent to the worker but cannot leave the resampler before more audio comes,
   * so a lockstep client (vosk-server's test.py: one chunk, then wait for its reply) would wait forever.
   */
  get asrBacklogMs(): number {
    return Math.max(0, ...[...this.parties.values()].map((p) => p.asr.queuedMs - this.resamplerHoldMs));
  }

  updateMetadata(patch: Record<string, unknown>): void {
    // Checked merged, before it replaces the stored metadata: a refused patch leaves the call's metadata as it was.
    if (this.deps.metadataLimits) checkMetadata({ ...this.start.metadata, ...patch }, this.deps.metadataLimits, 'bad_message');
    Object.assign(this.start.metadata, patch);
  }

  stop(reason: CallEndReason = 'stop'): Promise<CallSummary> {
    this.stopping ??= this.finish(reason);
    return this.stopping;
  }

  get ended(): boolean {
    return this.stopping !== undefined;
  }

  private noteInput(): void {
    this.lastInputAt = Date.now();
    this.sawInput = true;
  }

  /**
   * One timer per call, re-armed from the last input when it fires: a call whose client opened it and
   * sends nothing (no first audio within firstAudioTimeoutMs, or a stall of idleTimeoutMs) is ended
   * as 'timeout' with its summary, so idle connections cannot hold call slots.
   */
  private armWatchdog(): void {
    const { firstAudioTimeoutMs, idleTimeoutMs } = this.deps;
    const limit = this.sawInput ? idleTimeoutMs : firstAudioTimeoutMs;
    if (limit === undefined || this.stopping) return;
    const left = this.lastInputAt + limit - Date.now();
    this.watchdog = setTimeout(() => {
      if (this.stopping) return;
      const current = this.sawInput ? idleTimeoutMs : firstAudioTimeoutMs;
      if (!this.inputPaused && current !== undefined && Date.now() - this.lastInputAt >= current) {
        this.deps.log.warn({ timeoutMs: current, firstAudio: !this.sawInput }, this.sawInput ? 'call ended: no audio for the idle timeout' : 'call ended: no audio after the start');
        void this.stop('timeout');
        return;
      }
      if (this.inputPaused) this.lastInputAt = Date.now();
      this.armWatchdog();
    }, Math.max(10, left));
    this.watchdog.unref();
  }

  private openParty(party: string, asr: AsrStream): PartyState {
    const assembler = new TranscriptAssembler(this.callId, party);
    const state: PartyState = { asr, assembler, receivedSamples: 0, droppedModelSamples: 0, asrDone: Promise.resolve() };
    state.asrDone = new Promise<void>((resolve) => {
      asr.results$.subscribe({
        next: (result) =>
          this.guard('transcript', () => {
            const raw = assembler.next(result, samplesToMs(state.receivedSamples, this.start.format.sampleRate));
            if (raw) this.deps.redact.push(raw, (event) => this.guard('transcript', () => this.emitTranscript(event)));
          }),
        error: (err: unknown) => {
          // A recognizer failure ends this party's transcription; the call and other calls go on.
          // A lost ASR worker took every recognizer of the call: the call ends, with its summary.
          this.deps.log.error({ err, party }, 'asr stream failed');
          resolve();
          if (err instanceof AsrWorkerLostError) void this.stop('error');
        },
        complete: () => resolve(),
      });
    });
    return state;
  }

  private audioIn(): CallAudio {
    if (!this.callAudio) throw new CallInputError('wrong_input', 'this is a text call (input "text"): send utterances, not audio');
    return this.callAudio;
  }

  /**
   * Accounts what the call's audio took. The PCM itself stays on the worker: the analytics get an
   * empty chunk at each party's new position, which moves their audio clock (rules' windows).
   */
  private accept(taken: PartyAudioTaken[]): void {
    const rate = this.start.format.sampleRate;
    for (const t of taken) {
      const state = this.parties.get(t.party);
      if (!state || t.samples === 0) continue;
      state.receivedSamples += t.samples;
      state.droppedModelSamples += t.droppedModelSamples;
      this.deps.metrics.addAudioReceived(this.start.protocol, t.samples / rate);
      this.audio.next({ party: t.party, samples: NO_SAMPLES, sampleRate: rate, startSample: t.startSample + t.samples });
    }
  }

  /** A test model fed audio it cannot decode: warn once per call (socket, log). */
  private warnModelFit(party: string, warning: ModelFitWarning): void {
    if (this.warned) return;
    this.warned = true;
    this.deps.log.warn({ party, code: warning.code, ...warning.details }, 'model does not suit the audio: results are meaningless');
    this.events.next({
      type: 'warning',
      v: EVENT_SCHEMA_VERSION,
      callId: this.callId,
      code: warning.code,
      message: warning.message,
      party,
      details: warning.details,
      raisedAt: this.now().toISOString(),
    });
  }

  private emitTranscript(event: TranscriptEvent): void {
    if (event.final) {
      this.transcript.push(event);
      void this.deps.publisher.transcript(event, this.record);
    }
    this.events.next(event);
    this.transcripts.next(event);
  }

  private runAnalytics(): Promise<void> {
    const outputs$ = this.deps.analytics({
      callId: this.callId,
      parties: this.start.parties,
      language: this.start.language,
      input: this.text ? 'text' : 'audio',
      transcripts$: this.transcripts.asObservable(),
      audio$: this.audio.asObservable(),
      durationMs$: this.durationMs.asObservable(),
      ...(this.callAudio?.acoustic ? { acoustic: this.callAudio.acoustic } : {}),
    });
    return new Promise<void>((resolve) => {
      outputs$.subscribe({
        next: (output) => this.guard('output', () => this.handleOutput(output)),
        error: (err: unknown) => {
          this.deps.metrics.analyticsErrors.inc({ detector: 'pipeline' });
          this.deps.log.error({ err }, 'analytics pipeline failed; call continues without analytics');
          resolve();
        },
        complete: () => resolve(),
      });
    });
  }

  private handleOutput(output: DetectorOutput): void {
    switch (output.kind) {
      case 'alert': {
        const { key, ...detected } = output.alert;
        if (this.alertsByKey.has(key)) return; // one occurrence alerts once
        const alert: AlertEvent = {
          type: 'alert',
          v: EVENT_SCHEMA_VERSION,
          id: `${this.callId}/${key}`,
          callId: this.callId,
          ...detected,
          raisedAt: this.now().toISOString(),
        };
        this.alertsByKey.set(key, alert);
        this.deps.metrics.alertsTotal.inc({ kind: alert.kind, severity: alert.severity });
        void this.deps.publisher.alert(alert, this.record);
        this.events.next(alert);
        // A tentative alert may be withdrawn: its tags wait for the detector's confirmation ('tag' outputs).
        if (!alert.tentative) for (const tag of alert.tags ?? []) this.addTag(tag);
        return;
      }
      case 'withdraw': {
        const alert = this.alertsByKey.get(output.key);
        if (!alert || !alert.tentative) return;
        this.alertsByKey.delete(output.key);
        const withdrawn = {
          type: 'alert_withdrawn' as const,
          v: EVENT_SCHEMA_VERSION,
          id: alert.id,
          callId: this.callId,
          kind: alert.kind,
          category: alert.category,
          raisedAt: this.now().toISOString(),
        };
        void this.deps.publisher.alertWithdrawn(withdrawn, this.record);
        this.events.next(withdrawn);
        return;
      }
      case 'tag':
        this.addTag(output.tag);
        return;
      case 'driver': {
        const event: DriverEvent = {
          type: 'driver',
          v: EVENT_SCHEMA_VERSION,
          callId: this.callId,
          primary: output.drivers.primary,
          secondary: output.drivers.secondary,
          raisedAt: this.now().toISOString(),
        };
        void this.deps.publisher.driver(event, this.record);
        this.events.next(event);
        return;
      }
      case 'summary':
        if (output.section === 'errors' && Array.isArray(output.value)) {
          for (const failure of output.value as Array<{ detector: string }>) this.deps.metrics.analyticsErrors.inc({ detector: failure.detector });
        }
        this.sections[output.section] = output.value;
        return;
      default:
        return; // measures feed the rules inside the pipeline; nothing to publish
    }
  }

  /**
   * Runs one event handler of this call. RxJS rethrows a subscriber's exception outside the call,
   * where it would take the whole process down: here it costs this one event (logged, counted).
   */
  private guard(stage: string, handle: () => void): void {
    try {
      handle();
    } catch (err) {
      this.deps.metrics.analyticsErrors.inc({ detector: `session:${stage}` });
      this.deps.log.error({ err, stage }, 'call event handler failed; event skipped');
    }
  }

  private addTag(tag: string): void {
    if (this.tags.has(tag)) return;
    this.tags.add(tag);
    void this.deps.publisher.tags(this.callId, [tag], this.record);
  }

  private async finish(reason: CallEndReason): Promise<CallSummary> {
    clearTimeout(this.watchdog);
    // The resampler tails go to the recognizers and the acoustic measures finish, on the worker, before the streams end.
    this.callAudio?.endAudio();
    const finishMs = this.deps.finishTimeoutMs ?? 30_000;
    const recognized = Promise.all([...this.parties.values()].map(async (p) => {
      await p.asr.end().catch((err: unknown) => this.deps.log.error({ err }, 'asr stream end failed'));
      await p.asrDone;
    }));
    if (!(await within(recognized, finishMs))) {
      this.deps.metrics.analyticsErrors.inc({ detector: 'session:asr_finish_timeout' });
      this.deps.log.error({ finishTimeoutMs: finishMs }, 'recognizers did not finish in time; the summary goes without their last results');
      for (const p of this.parties.values()) p.asr.abort();
    }
    // Every number is complete now: transcripts held back for redaction go out before analytics end.
    this.guard('transcript', () => this.deps.redact.flush());
    // Detectors that decide at the call's end (absence rules, relative windows) need its length.
    this.durationMs.next(this.receivedDurationMs());
    this.durationMs.complete();
    this.audio.complete();
    this.transcripts.complete();
    if (!(await within(this.analyticsDone, finishMs))) {
      this.deps.metrics.analyticsErrors.inc({ detector: 'session:analytics_finish_timeout' });
      this.deps.log.error({ finishTimeoutMs: finishMs }, 'analytics did not finish in time; the summary goes without their last sections');
    }
    const summary = this.buildSummary(reason);
    // Usually written before the client sees it; a slow or hung Redis must not hold the call, so after
    // summaryWaitMs the summary goes out anyway and the write finishes (or fails, counted) on its own.
    await within(this.deps.publisher.callEnded(summary, this.record), this.deps.summaryWaitMs ?? 2000);
    this.events.next(summary);
    this.events.complete();
    this.deps.onEnded?.(summary);
    return summary;
  }

  private receivedDurationMs(): number {
    if (this.text) return this.text.endMs;
    const rate = this.start.format.sampleRate;
    return Math.max(0, ...[...this.parties.values()].map((p) => samplesToMs(p.receivedSamples, rate)));
  }

  private buildSummary(reason: CallEndReason): CallSummary {
    const rate = this.start.format.sampleRate;
    const modelRate = this.deps.asr.sampleRate;
    const audio: CallSummary['audio'] = {};
    for (const [party, state] of this.parties) {
      const receivedMs = samplesToMs(state.receivedSamples, rate);
      audio[party] = { receivedMs, droppedMs: samplesToMs(state.droppedModelSamples, modelRate) };
    }
    const alerts = [...this.alertsByKey.values()];
    return {
      type: 'summary',
      v: EVENT_SCHEMA_VERSION,
      callId: this.callId,
      protocol: this.start.protocol,
      ...(this.text ? { input: 'text' as const } : {}),
      language: this.start.language,
      parties: this.start.parties,
      metadata: this.start.metadata,
      startedAt: this.startedAt.toISOString(),
      endedAt: this.now().toISOString(),
      durationMs: this.receivedDurationMs(),
      endReason: reason,
      cutShort: reason !== 'stop',
      tags: [...this.tags].sort(),
      alertCount: alerts.length,
      alerts,
      transcript: this.transcript
        .map(({ party, text, startMs, endMs, words }) => ({ party, text, startMs, endMs, words }))
        .sort((a, b) => a.startMs - b.startMs),
      audio,
      analytics: this.sections,
    };
  }
}

/** Whether `work` settled within `ms` (it goes on either way; only the waiting is bounded). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
