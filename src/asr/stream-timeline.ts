/**
 * Maps the recognizer's clock (audio it actually decoded) to the party's stream clock (audio
 * received). They differ only after audio was dropped on overload or skipped (a hold the sender did
 * not stream): each is a gap the recognizer never heard, so later word times shift forward by the
 * gaps before them. Positions are in samples.
 */
export class StreamTimeline {
  /** Gaps by recognizer position, ascending; `total` is the sum of this gap and all earlier ones. */
  private readonly gaps: Array<{ at: number; total: number }> = [];

  constructor(readonly sampleRate: number) {}

  /** `dropped` samples of stream audio were discarded (or skipped) after `acceptedSamples` samples were accepted. */
  addGap(acceptedSamples: number, dropped: number): void {
    const last = this.gaps[this.gaps.length - 1];
    if (last && last.at === acceptedSamples) last.total += dropped;
    else this.gaps.push({ at: acceptedSamples, total: (last?.total ?? 0) + dropped });
  }

  /** Dropped samples so far. */
  get droppedSamples(): number {
    return this.gaps[this.gaps.length - 1]?.total ?? 0;
  }

  /**
   * Stream time (ms) of a recognizer time (ms). A start exactly at a gap lies after it (the audio
   * that followed the drop); an end exactly at a gap lies before it.
   */
  toStreamMs(recognizerMs: number, edge: 'start' | 'end' = 'start'): number {
    const position = (recognizerMs * this.sampleRate) / 1000;
    let shift = 0;
    for (const gap of this.gaps) {
      if (gap.at < position || (edge === 'start' && gap.at === position)) shift = gap.total;
      else break;
    }
    return recognizerMs + (shift * 1000) / this.sampleRate;
  }
}
