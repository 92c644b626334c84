/**
 * The engine under benchmark, in its own process so the load generator does not share its event
 * loop or its memory. Talks to bench/run.ts over the IPC channel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/log/logger.js';
import { startService } from '../src/service.js';

/**
 * How a run measures the engine's event-loop delay. 'raw-1ms': this process's own monitor probing
 * every 1 ms, raw readings (they include the 1 ms interval): the realtime scenarios' loop target.
 * 'engine': the engine's exported probe (metrics.eventLoopSampleMs), delay beyond its interval: the
 * throughput scenarios, where 1000 extra wake-ups a second would preempt the decoders being measured.
 */
export type LoopMeasure = 'raw-1ms' | 'engine';

type Command = { cmd: 'start'; config: unknown } | { cmd: 'begin'; loop: LoopMeasure; sampleMs?: number } | { cmd: 'end' } | { cmd: 'exit' };

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let loopMeasure: LoopMeasure = 'raw-1ms';
let eluAtBegin: EventLoopUtilization = performance.eventLoopUtilization();
let cpuAtBegin = process.cpuUsage();
let peakRss = 0;
let mainCpuAtBegin = 0;
let threadsAtBegin = new Map<string, number>();
let beginAtUs = 0;
// Engine counters at 'begin' (a warm-up batch may have run before): runs report their growth since.
let decodedAtBegin = 0;
let droppedAtBegin = 0;
let lentAtBegin = 0;
/** Party-seconds decoded since 'begin', over time (this process's clock, ms), for the steady-state rate. */
let progress: Array<[number, number]> = [];
let sampler: NodeJS.Timeout | undefined;
let rssReadAt = -Infinity;
/** RSS is read at most this often: a /proc read on the thread being measured. */
const RSS_SAMPLE_MS = 250;

type EngineCounter = 'audioDecodedSeconds' | 'audioDroppedSeconds' | 'asrStreamsLent';

/** An engine counter's total since the engine started (0 before it runs). */
async function counter(name: EngineCounter): Promise<number> {
  return (await service?.metrics[name].get())?.values[0]?.value ?? 0;
}

/** The main thread's task id is the process id. */
const MAIN_TID = String(process.pid);

/**
 * CPU time of each of this process's threads, ms, by thread id (Linux schedstat; empty elsewhere).
 * Node names every thread 'node', so the bench tells the ASR workers apart by their share: with the
 * decoders busy they are the threads far above the rest (V8's compiler and GC helpers, libuv's pool).
 */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
      } catch {
        // The thread ended between listing and reading.
      }
    }
  } catch {
    // Not Linux.
  }
  return out;
}

/** Monotonic clock in µs, the clock of --cpu-prof sample times. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
let service: Awaited<ReturnType<typeof startService>> | undefined;

/**
 * Records the run's progress here, on a timer, rather than answering the bench over IPC: a message
 * each way per sample woke both processes' main threads on the cores being measured (bare libvosk's
 * threads record theirs locally too).
 */
async function sampleProgress(): Promise<void> {
  const now = performance.now();
  if (now - rssReadAt >= RSS_SAMPLE_MS) {
    rssReadAt = now;
    peakRss = Math.max(peakRss, process.memoryUsage.rss()); // rss() alone: memoryUsage() also walks the V8 heap
  }
  progress.push([now, (await counter('audioDecodedSeconds')) - decodedAtBegin]);
}

function send(message: unknown): void {
  process.send?.(message);
}

process.on('message', (raw: Command) => {
  void (async () => {
    switch (raw.cmd) {
      case 'start': {
        const config = validateConfig(raw.config);
        service = await startService(config, { log: createLogger('warn') });
        send({ ok: 'started', httpPort: service.httpPort, rss: process.memoryUsage().rss });
        return;
      }
      case 'begin':
        loopMeasure = raw.loop;
        if (loopMeasure === 'raw-1ms') {
          loopDelay.reset();
          loopDelay.enable();
        }
        service?.metrics.eventLoopDelay?.take();
        cpuAtBegin = process.cpuUsage();
        threadsAtBegin = threadCpuMs();
        mainCpuAtBegin = threadsAtBegin.get(MAIN_TID) ?? 0;
        beginAtUs = monotonicUs();
        eluAtBegin = performance.eventLoopUtilization();
        peakRss = process.memoryUsage().rss;
        decodedAtBegin = await counter('audioDecodedSeconds');
        droppedAtBegin = await counter('audioDroppedSeconds');
        lentAtBegin = await counter('asrStreamsLent');
        progress = [];
        // Without sampleMs (the console and profile benches), no progress: the run's end alone.
        if (raw.sampleMs) sampler = setInterval(() => void sampleProgress(), raw.sampleMs);
        send({ ok: 'begun', rss: peakRss });
        return;
      case 'end': {
        clearInterval(sampler);
        await sampleProgress();
        loopDelay.disable();
        const engineLoop = service?.metrics.eventLoopDelay?.take();
        const exported = engineLoop && { p50: engineLoop.p50, p99: engineLoop.p99, max: engineLoop.max };
        const cpu = process.cpuUsage(cpuAtBegin);
        // The main thread's busy time (event loop not idle); process CPU above includes the ASR workers.
        const elu = performance.eventLoopUtilization(eluAtBegin);
        const threadsNow = threadCpuMs();
        const threads = [...threadsNow]
          .filter(([tid]) => tid !== MAIN_TID)
          .map(([tid, ms]) => Math.round(ms - (threadsAtBegin.get(tid) ?? 0)))
          .filter((ms) => ms > 0)
          .sort((a, b) => b - a);
        const dropped = (await counter('audioDroppedSeconds')) - droppedAtBegin;
        const lent = (await counter('asrStreamsLent')) - lentAtBegin;
        send({
          ok: 'ended',
          cpuUserMs: cpu.user / 1000,
          cpuSystemMs: cpu.system / 1000,
          peakRss,
          mainThreadBusyMs: elu.active,
          // CPU time on the main thread (not wall time: the shared machine's contention does not inflate it).
          mainThreadCpuMs: (threadsNow.get(MAIN_TID) ?? 0) - mainCpuAtBegin,
          otherThreadsCpuMs: threads,
          window: { beginUs: beginAtUs, endUs: monotonicUs() },
          eventLoopDelayMs:
            loopMeasure === 'engine'
              ? exported
              : { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
          eventLoopMeasure: loopMeasure === 'engine' ? `delay beyond a ${service?.metrics.eventLoopDelay?.sampleMs} ms probe` : 'raw, 1 ms probe',
          // What the engine's own metric (voc_nodejs_eventloop_lag_*) read over the same window.
          exportedEventLoopDelayMs: exported,
          droppedAudioSeconds: dropped,
          streamsLent: lent,
          progress,
        });
        return;
      }
      case 'exit':
        await service?.close();
        process.exit(0);
    }
  })().catch((err: unknown) => {
    send({ ok: 'error', message: err instanceof Error ? err.message : String(err) });
  });
});
send({ ok: 'ready' });
