import { describe, expect, it } from 'vitest';
import { EngineMetrics } from '../../src/metrics/metrics.js';

async function received(metrics: EngineMetrics): Promise<Record<string, number>> {
  const { values } = await metrics.audioReceivedSeconds.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.protocol), v.value]));
}

describe('voc_audio_received_seconds_total', () => {
  it('counts what addAudioReceived summed, by protocol, once per amount whatever the number of reads', async () => {
    const metrics = new EngineMetrics({ defaults: false });
    metrics.addAudioReceived('stream', 0.02);
    metrics.addAudioReceived('stream', 0.02);
    metrics.addAudioReceived('audiohook', 1.5);
    expect(await received(metrics)).toEqual({ stream: 0.04, audiohook: 1.5 });
    expect(await received(metrics)).toEqual({ stream: 0.04, audiohook: 1.5 });
    metrics.addAudioReceived('stream', 1);
    expect(await received(metrics)).toEqual({ stream: 1.04, audiohook: 1.5 });
  });

  it('shows in the scrape text', async () => {
    const metrics = new EngineMetrics({ defaults: false });
    metrics.addAudioReceived('stream', 2.5);
    expect(await metrics.registry.metrics()).toContain('voc_audio_received_seconds_total{protocol="stream"} 2.5');
  });
});
