import { CallInputError } from '../session/errors.js';
import { AUDIO_ENCODINGS, bytesPerSample, type WireAudioFormat } from './format.js';
import { ALAW_TO_LINEAR, MULAW_TO_LINEAR } from './g711.js';
import { pcm16leToInt16 } from './pcm16.js';
import { Resampler, type ResamplerQuality } from './resampler.js';

/** One party's share of one wire message. */
export interface DecodedFrame {
  party: string;
  /** Mono PCM16 at the call's wire rate (owned by the receiver, never a view of the wire bytes). */
  callRate: Int16Array;
  /**
   * The same audio at the model rate, aligned with callRate but trailing it by the resampler's
   * delay (see CallAudioDecoder.modelDelayMs); may be empty. Equal rates: the same array as callRate.
   */
  modelRate: Int16Array;
  /** Index (at the call rate, counted per party) of callRate[0] from the start of the call. */
  startSample: number;
}

export interface CallAudioDecoderOptions {
  /** Resampler quality for the model-rate copy (default 'telephony'). */
  quality?: ResamplerQuality;
}

interface PartyTrack {
  party: string;
  resampler: Resampler;
  /** Samples decoded so far at the call rate. */
  position: number;
}

const EMPTY = new Int16Array(0);

/**
 * One per call: wire bytes -> per-party PCM at the call rate and at the recognizer's rate. Decoding
 * and deinterleaving are fused (one pass, one array per party per message); each party has its
 * own streaming resampler so message boundaries leave no seams.
 */
export class CallAudioDecoder {
  private readonly tracks: PartyTrack[];
  private readonly byParty = new Map<string, PartyTrack>();
  private readonly bytesPerSample: number;

  /** Throws CallInputError ('unsupported_encoding' | 'unsupported_sample_rate' | 'bad_start') for a format it cannot decode. */
  constructor(
    readonly format: WireAudioFormat,
    parties: readonly string[],
    readonly modelRate: number,
    options: CallAudioDecoderOptions = {},
  ) {
    if (!(AUDIO_ENCODINGS as readonly string[]).includes(format.encoding))
      throw new CallInputError('unsupported_encoding', `encoding must be one of ${AUDIO_ENCODINGS.join(', ')} (got ${String(format.encoding)})`);
    if (!Number.isInteger(format.channels) || format.channels < 1 || format.channels !== parties.length)
      throw new CallInputError('bad_start', `channels (${format.channels}) must be a positive integer equal to the number of parties (${parties.length})`);
    if (new Set(parties).size !== parties.length) throw new CallInputError('bad_start', 'party names must be distinct');
    this.bytesPerSample = bytesPerSample(format.encoding);
    this.tracks = parties.map((party) => {
      let resampler: Resampler;
      try {
        resampler = new Resampler(format.sampleRate, modelRate, { quality: options.quality ?? 'telephony' });
      } catch (err) {
        if (err instanceof RangeError) throw new CallInputError('unsupported_sample_rate', err.message);
        throw err;
      }
      return { party, resampler, position: 0 };
    });
    for (const track of this.tracks) this.byParty.set(track.party, track);
  }

  /** How far (ms) modelRate output trails callRate output; the rest comes out in flush(). */
  get modelDelayMs(): number {
    return this.tracks[0]?.resampler.delayMs ?? 0;
  }

  /**
   * Interleaved frames (channel i = parties[i]). Throws CallInputError('bad_frame_size') when bytes
   * is not a whole number of sample frames (channels * bytesPerSample). Empty input gives [].
   */
  decodeInterleaved(bytes: Uint8Array): DecodedFrame[] {
    const channels = this.tracks.length;
    const frameBytes = channels * this.bytesPerSample;
    if (bytes.length % frameBytes !== 0)
      throw new CallInputError(
        'bad_frame_size',
        `${bytes.length} bytes is not a whole number of ${channels}-channel ${this.format.encoding} frames (${frameBytes} bytes each)`,
      );
    if (bytes.length === 0) return [];
    const out: DecodedFrame[] = [];
    if (this.format.encoding === 'pcm16') {
      const samples = pcm16leToInt16(bytes);
      for (let c = 0; c < channels; c++) out.push(this.emit(this.tracks[c]!, strided(samples, c, channels, bytes)));
    } else {
      const table = this.format.encoding === 'mulaw' ? MULAW_TO_LINEAR : ALAW_TO_LINEAR;
      for (let c = 0; c < channels; c++) out.push(this.emit(this.tracks[c]!, lookupStrided(table, bytes, c, channels)));
    }
    return out;
  }

  /**
   * Mono audio of one party (protocols with one track per party), in the call's wire encoding.
   * Throws CallInputError('bad_message') for an unknown party, ('bad_frame_size') for a partial sample.
   */
  decodeParty(party: string, bytes: Uint8Array): DecodedFrame {
    const track = this.byParty.get(party);
    if (!track) throw new CallInputError('bad_message', `unknown party ${JSON.stringify(party)}`);
    if (bytes.length % this.bytesPerSample !== 0)
      throw new CallInputError('bad_frame_size', `${bytes.length} bytes is not a whole number of ${this.format.encoding} samples`);
    if (this.format.encoding === 'pcm16') return this.emit(track, strided(pcm16leToInt16(bytes), 0, 1, bytes));
    return this.emit(track, lookupStrided(this.format.encoding === 'mulaw' ? MULAW_TO_LINEAR : ALAW_TO_LINEAR, bytes, 0, 1));
  }

  /** Remaining resampler tail per party at end of call (callRate empty). Call once, at the end. */
  /** The party's timeline jumps `samples` (call rate) ahead without audio; returns where the gap starts. */
  skip(party: string, samples: number): number {
    const track = this.byParty.get(party);
    if (!track) throw new Error(`unknown party ${party}`);
    const start = track.position;
    track.position += samples;
    return start;
  }

  flush(): DecodedFrame[] {
    return this.tracks.map((track) => ({ party: track.party, callRate: EMPTY, modelRate: track.resampler.flush(), startSample: track.position }));
  }

  private emit(track: PartyTrack, callRate: Int16Array): DecodedFrame {
    const frame: DecodedFrame = { party: track.party, callRate, modelRate: track.resampler.process(callRate), startSample: track.position };
    track.position += callRate.length;
    return frame;
  }
}

/** Channel `channel` of interleaved PCM16, always as an array that does not share memory with `wire`. */
function strided(samples: Int16Array, channel: number, channels: number, wire: Uint8Array): Int16Array {
  if (channels === 1) return samples.buffer === wire.buffer ? samples.slice() : samples;
  const frames = samples.length / channels;
  const out = new Int16Array(frames);
  for (let i = 0, j = channel; i < frames; i++, j += channels) out[i] = samples[j]!;
  return out;
}

/** Channel `channel` of interleaved G.711 bytes, decoded through `table` in the same pass. */
function lookupStrided(table: Int16Array, bytes: Uint8Array, channel: number, channels: number): Int16Array {
  const frames = bytes.length / channels;
  const out = new Int16Array(frames);
  for (let i = 0, j = channel; i < frames; i++, j += channels) out[i] = table[bytes[j]!]!;
  return out;
}
