import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { metricsSchema } from '../config/schema.js';
import { EventLoopDelay, type LoopDelayWindow } from './event-loop-delay.js';

/** Default probe interval of the event-loop delay metrics (config `metrics.eventLoopSampleMs`). */
const EVENT_LOOP_SAMPLE_MS = metricsSchema.parse({}).eventLoopSampleMs;

/** prom-client's event-loop delay statistics, which the engine exports from its own probe instead. */
const LOOP_DELAY_STATS: ReadonlyArray<Exclude<keyof LoopDelayWindow, 'samples'>> = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'];

/**
 * Every Prometheus metric the engine exports, in one registry owned by the process (tests create their
 * own). Names follow Prometheus conventions: base units (seconds, bytes), `_total` for counters.
 */
export class EngineMetrics {
  readonly registry: Registry;
  readonly activeCalls: Gauge<'protocol'>;
  readonly callsTotal: Counter<'protocol' | 'end_reason'>;
  readonly audioReceivedSeconds: Counter<'protocol'>;
  readonly audioDecodedSeconds: Counter;
  readonly audioDroppedSeconds: Counter;
  readonly asrRealTimeFactor: Histogram;
  readonly asrQueueDepthSeconds: Gauge;
  readonly alertsTotal: Counter<'kind' | 'severity'>;
  readonly redisPublishFailures: Counter<'operation'>;
  readonly redisDroppedWrites: Counter;
  readonly summariesSpooled: Counter;
  readonly summariesReplayed: Counter;
  readonly summariesSpoolLost: Counter;
  readonly ingestErrors: Counter<'protocol' | 'reason'>;
  readonly analyticsErrors: Counter<'detector'>;
  readonly skippedPartials: Counter<'protocol'>;
  readonly driverCalls: Counter<'department' | 'driver'>;
  readonly spikes: Counter<'kind' | 'department'>;
  readonly asrWorkerRestarts: Counter;
  readonly asrStreamsLent: Counter;
  readonly asrBacklogSeconds: Gauge;
  readonly capacityCalls: Gauge;
  readonly admissionRefusals: Counter<'reason'>;
  readonly consoleClients: Gauge;
  readonly consoleSlowClients: Counter;

  /** Received audio not yet added to audioReceivedSeconds, by protocol (see addAudioReceived). */
  private readonly receivedPending = new Map<string, { seconds: number }>();

  /** The event-loop delay probe behind voc_nodejs_eventloop_lag_*_seconds (undefined without the defaults). */
  readonly eventLoopDelay: EventLoopDelay | undefined;

  /** `eventLoopSampleMs`: how often the event-loop delay is probed (see EventLoopDelay). */
  constructor(options: { registry?: Registry; defaults?: boolean; eventLoopSampleMs?: number } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    if (options.defaults ?? true) {
      // prom-client's own lag statistics are raw timer intervals (an idle loop reads its resolution);
      // its probe is slowed to once a second and those statistics are replaced by the delay alone.
      collectDefaultMetrics({ register: this.registry, prefix: 'voc_', eventLoopMonitoringPrecision: 1000 });
      const probe = new EventLoopDelay(options.eventLoopSampleMs ?? EVENT_LOOP_SAMPLE_MS);
      this.eventLoopDelay = probe;
      let window = probe.take();
      LOOP_DELAY_STATS.forEach((stat, i) => {
        const name = `voc_nodejs_eventloop_lag_${stat}_seconds`;
        this.registry.removeSingleMetric(name);
        new Gauge({
          name,
          help: `Event-loop delay ${stat} since the last scrape, seconds: how late a timer probing every ${probe.sampleMs} ms fired (metrics.eventLoopSampleMs), its interval not included`,
          registers,
          collect() {
            // The first of these gauges closes the window; a scrape collects them in order.
            if (i === 0) window = probe.take();
            this.set(window[stat] / 1000);
          },
        });
      });
    }
    this.consoleClients = new Gauge({ name: 'voc_console_clients', help: 'Browsers connected to the console live feed', registers });
    this.consoleSlowClients = new Counter({
      name: 'voc_console_slow_clients_total',
      help: 'Console browsers disconnected because their unsent live-feed data exceeded console.maxClientBufferedBytes',
      registers,
    });
    this.activeCalls = new Gauge({ name: 'voc_active_calls', help: 'Calls in progress', labelNames: ['protocol'], registers });
    this.callsTotal = new Counter({
      name: 'voc_calls_total',
      help: 'Calls ended, by protocol and end reason',
      labelNames: ['protocol', 'end_reason'],
      registers,
    });
    const receivedPending = this.receivedPending;
    this.audioReceivedSeconds = new Counter({
      name: 'voc_audio_received_seconds_total',
      help: 'Seconds of per-party audio received from clients',
      labelNames: ['protocol'],
      registers,
      collect() {
        for (const [protocol, pending] of receivedPending) {
          if (pending.seconds > 0) this.inc({ protocol }, pending.seconds);
          pending.seconds = 0;
        }
      },
    });
    this.audioDecodedSeconds = new Counter({
      name: 'voc_audio_decoded_seconds_total',
      help: 'Seconds of per-party audio decoded by the recognizer',
      registers,
    });
    this.audioDroppedSeconds = new Counter({
      name: 'voc_asr_dropped_audio_seconds_total',
      help: 'Seconds of audio dropped because a party queue was full (ASR behind real time)',
      registers,
    });
    this.asrRealTimeFactor = new Histogram({
      name: 'voc_asr_real_time_factor',
      help: 'Decoding time divided by audio duration, per recognizer chunk (below 1 = faster than real time)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.asrQueueDepthSeconds = new Gauge({
      name: 'voc_asr_queue_depth_seconds',
      help: 'Seconds of audio queued for the recognizers, all calls',
      registers,
    });
    this.alertsTotal = new Counter({
      name: 'voc_alerts_total',
      help: 'Alerts raised, by detector kind and severity',
      labelNames: ['kind', 'severity'],
      registers,
    });
    this.redisPublishFailures = new Counter({
      name: 'voc_redis_publish_failures_total',
      help: 'Redis writes that failed',
      labelNames: ['operation'],
      registers,
    });
    this.redisDroppedWrites = new Counter({
      name: 'voc_redis_dropped_writes_total',
      help: 'Redis writes dropped because the pending buffer was full while Redis was unreachable',
      registers,
    });
    this.summariesSpooled = new Counter({
      name: 'voc_summaries_spooled_total',
      help: 'Call summaries Redis did not confirm (write failed, timed out or pending at shutdown), kept on disk in redis.spool.dir',
      registers,
    });
    this.summariesReplayed = new Counter({
      name: 'voc_summaries_replayed_total',
      help: 'Spooled call summaries written to Redis later (at start or when Redis came back)',
      registers,
    });
    this.summariesSpoolLost = new Counter({
      name: 'voc_summaries_spool_lost_total',
      help: 'Call summaries Redis did not confirm that the spool could not keep either (full, or a file-system error)',
      registers,
    });
    this.ingestErrors = new Counter({
      name: 'voc_ingest_errors_total',
      help: 'Rejected client input, by protocol and reason code',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.skippedPartials = new Counter({
      name: 'voc_skipped_partials_total',
      help: 'Partial transcripts not sent to a client that reads too slowly (finals, alerts and summaries are always sent)',
      labelNames: ['protocol'],
      registers,
    });
    // Labels come from the configured taxonomy (bounded by the rule files), never from calls.
    this.driverCalls = new Counter({
      name: 'voc_driver_calls_total',
      help: 'Ended calls by owning department and primary driver (driver "unclassified", department "none" when no driver matched)',
      labelNames: ['department', 'driver'],
      registers,
    });
    this.spikes = new Counter({
      name: 'voc_spikes_total',
      help: 'Spikes raised (one per episode), by series kind (driver, department, category) and owning department ("none" when unowned)',
      labelNames: ['kind', 'department'],
      registers,
    });
    this.analyticsErrors = new Counter({
      name: 'voc_analytics_errors_total',
      help: 'Detector failures (the detector is stopped for that call; the call goes on)',
      labelNames: ['detector'],
      registers,
    });
    this.asrWorkerRestarts = new Counter({
      name: 'voc_asr_worker_restarts_total',
      help: 'ASR worker threads that died and were replaced (their calls ended with reason error)',
      registers,
    });
    this.asrStreamsLent = new Counter({
      name: 'voc_asr_streams_lent_total',
      help: 'Recognizer streams moved from a busier ASR worker to an idler one (rebalancing, asr.rebalanceGapMs)',
      registers,
    });
    this.asrBacklogSeconds = new Gauge({
      name: 'voc_asr_worker_backlog_seconds',
      help: 'Seconds of audio sent to the busiest ASR worker and not yet decoded',
      registers,
    });
    this.capacityCalls = new Gauge({
      name: 'voc_capacity_calls',
      help: 'Concurrent calls admitted (limits.maxConcurrentCalls, or the start-up decoding probe when it is not set)',
      registers,
    });
    this.admissionRefusals = new Counter({
      name: 'voc_admission_refusals_total',
      help: 'New calls refused: at capacity, the ASR workers behind real time, or a client over its per-address or per-key limit',
      labelNames: ['reason'],
      registers,
    });
  }

  /**
   * Counts received audio into voc_audio_received_seconds_total. It comes with every audio message of
   * every call: a labelled inc() builds and hashes a label set each time, the largest allocation left
   * per message at 200 calls, so it is summed here and added when the counter is read (scrape, stats).
   */
  addAudioReceived(protocol: string, seconds: number): void {
    let pending = this.receivedPending.get(protocol);
    if (!pending) this.receivedPending.set(protocol, (pending = { seconds: 0 }));
    pending.seconds += seconds;
  }
}
