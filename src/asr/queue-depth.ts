import type { Gauge } from 'prom-client';

/**
 * Audio queued for the recognizers across all streams, kept in samples (exact integers) and
 * published as seconds on `voc_asr_queue_depth_seconds`.
 */
export class QueueDepth {
  private samples = 0;

  constructor(
    private readonly gauge: Gauge,
    private readonly sampleRate: number,
  ) {}

  get totalSamples(): number {
    return this.samples;
  }

  add(samples: number): void {
    this.samples += samples;
    this.gauge.set(this.samples / this.sampleRate);
  }
}
