import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawEncode } from '../../src/audio/g711.js';
import { onlyAlert } from '../helpers/alerts.js';
import { buildCallAudio, type GeneratedCall } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { ingestErrorSnapshot } from '../helpers/metrics.js';
import { waitForSummary } from '../helpers/redis-summary.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';

/** A Twilio Media Streams sender: the message order, fields and numbering of the Twilio docs. */
class TwilioSender {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private sequence = 0;
  private readonly chunks = { inbound: 0, outbound: 0 };

  constructor(url: string, readonly callSid: string, readonly streamSid: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  connected(): string {
    return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(tracks: string[], customParameters: Record<string, string> = {}, encoding = 'audio/x-mulaw'): string {
    return JSON.stringify({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      start: {
        accountSid: ACCOUNT_SID,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks,
        mediaFormat: { encoding, sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  media(track: 'inbound' | 'outbound', timestampMs: number, payload: Uint8Array): string {
    return JSON.stringify({
      event: 'media',
      sequenceNumber: String(++this.sequence),
      media: { track, chunk: String(++this.chunks[track]), timestamp: String(timestampMs), payload: Buffer.from(payload).toString('base64') },
      streamSid: this.streamSid,
    });
  }

  dtmf(digit: string): string {
    return JSON.stringify({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: String(++this.sequence), dtmf: { track: 'inbound_track', digit } });
  }

  stop(): string {
    return JSON.stringify({
      event: 'stop',
      sequenceNumber: String(++this.sequence),
      stop: { accountSid: ACCOUNT_SID, callSid: this.callSid },
      streamSid: this.streamSid,
    });
  }

  /** An event this client does not know (Twilio adds events over time), numbered like the rest. */
  future(): string {
    return JSON.stringify({ event: 'futureEvent', sequenceNumber: String(++this.sequence), streamSid: this.streamSid });
  }

  /** Skips n sequence numbers (a message lost in transit). */
  skipSequence(n: number): void {
    this.sequence += n;
  }

  async sendAll(messages: readonly string[], burst = 25, pauseMs = 4): Promise<void> {
    for (let i = 0; i < messages.length; i++) {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      this.socket.send(messages[i]!);
      if ((i + 1) % burst === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** 20 ms mu-law packets per track, in send order (inbound then outbound per 20 ms), skipping dropped outbound packets. */
function mediaMessages(sender: TwilioSender, call: GeneratedCall, dropOutbound: (ms: number) => boolean = () => false): string[] {
  const inbound = mulawEncode(call.pcm.customer!);
  const outbound = mulawEncode(call.pcm.agent!);
  const out: string[] = [];
  for (let at = 0, ms = 0; at < inbound.length; at += 160, ms += 20) {
    out.push(sender.media('inbound', ms, inbound.subarray(at, at + 160)));
    if (!dropOutbound(ms)) out.push(sender.media('outbound', ms, outbound.subarray(at, at + 160)));
  }
  return out;
}

describe('Twilio Media Streams on /v1/twilio (real libvosk, real Redis)', () => {
  const live = useLiveService('ingest-twilio', { keywords: CALL_KEYWORDS });

  it('turns a both_tracks stream into a two-party call: transcripts, keyword alert, summary with custom parameters; lost packets keep their timestamps', async () => {
    const { svc, redis, keys } = live;
    const callSid = 'CA11111111111111111111111111111111';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
        { party: 'agent', atMs: 6500, text: 'verify' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const sender = new TwilioSender(svc.wsUrl('/v1/twilio'), callSid, 'MZ22222222222222222222222222222222');
    await sender.opened;
    // One second of the agent's track never arrives (the agent is silent then); its timestamps jump.
    const lost = (ms: number) => ms >= 4500 && ms < 5500;
    await sender.sendAll([sender.connected(), sender.start(['inbound', 'outbound'], { queue: 'billing', FirstName: 'Jane' })]);
    const media = mediaMessages(sender, call, lost);
    await sender.sendAll([...media.slice(0, 200), sender.dtmf('1'), ...media.slice(200)]);
    sender.socket.send(sender.stop());
    expect((await sender.closed).code).toBe(1000);

    const summary = await waitForSummary(redis, svc.prefix, callSid);
    expect(summary).toMatchObject({ callId: callSid, protocol: 'twilio', endReason: 'stop', parties: ['customer', 'agent'] });
    expect(summary.metadata).toMatchObject({
      queue: 'billing',
      FirstName: 'Jane',
      dtmfCount: 1,
      twilio: { accountSid: ACCOUNT_SID, callSid, streamSid: 'MZ22222222222222222222222222222222', tracks: ['inbound', 'outbound'] },
      mediaGaps: { agent: { filledMs: 1000, unfilledMs: 0 } },
    });
    const finals = summary.transcript.map((t) => `${t.party}:${t.text}`);
    expect(finals).toEqual(expect.arrayContaining(['agent:hello recorded', 'customer:cancel account refund', 'agent:verify']));

    // The agent's last word stays where it was said although a second of its track was lost.
    const verify = summary.transcript.flatMap((t) => t.words).find((w) => w.word === 'verify')!;
    expect(Math.abs(verify.startMs - 6500)).toBeLessThanOrEqual(100);

    const cancel = call.words.find((w) => w.word === 'cancel')!;
    const churn = onlyAlert(summary.alerts, 'churn-risk');
    expect(churn).toMatchObject({ party: 'customer', phrase: 'cancel account', kind: 'keyword', severity: 'high' });
    expect(Math.abs((churn.startMs as number) - cancel.startMs)).toBeLessThanOrEqual(100);

    expect((await redis.smembers(keys.callTags(callSid))).sort()).toEqual(['churn', 'churn-risk']);
    expect(await redis.hgetall(keys.call(callSid))).toMatchObject({ state: 'ended', endReason: 'stop', protocol: 'twilio' });
  });

  it('a two-minute hold the stream does not carry: later words keep their real times, and the hold is not decoded', async () => {
    const { svc, redis } = live;
    const callSid = 'CA55555555555555555555555555555555';
    const before = buildCallAudio([{ party: 'customer', atMs: 500, text: 'cancel account' }], { parties: ['customer', 'agent'], sampleRate: 8000, durationMs: 3000 });
    const after = buildCallAudio([{ party: 'agent', atMs: 500, text: 'thanks verify' }], { parties: ['customer', 'agent'], sampleRate: 8000, durationMs: 4000 });
    const holdMs = 120_000;
    const sender = new TwilioSender(svc.wsUrl('/v1/twilio'), callSid, 'MZ55555555555555555555555555555555');
    await sender.opened;
    await sender.sendAll([sender.connected(), sender.start(['inbound', 'outbound'])]);
    const shifted = (messages: string[], byMs: number) =>
      messages.map((m) => {
        const parsed = JSON.parse(m) as { media: { timestamp: string } };
        parsed.media.timestamp = String(Number(parsed.media.timestamp) + byMs);
        return JSON.stringify(parsed);
      });
    const decoded = async () => (await svc.service.metrics.audioDecodedSeconds.get()).values[0]?.value ?? 0;
    const decodedBefore = await decoded();
    await sender.sendAll([...mediaMessages(sender, before), ...shifted(mediaMessages(sender, after), 3000 + holdMs)]);
    sender.socket.send(sender.stop());
    await sender.closed;
    const summary = await waitForSummary(redis, svc.prefix, callSid);

    const thanks = summary.transcript.flatMap((t) => t.words).find((w) => w.word === 'thanks')!;
    expect(Math.abs(thanks.startMs - (3000 + holdMs + 500))).toBeLessThanOrEqual(100);
    expect(Math.abs(summary.durationMs - (3000 + holdMs + 4000))).toBeLessThanOrEqual(50);
    expect(summary.metadata).toMatchObject({ mediaGaps: { customer: { filledMs: 5000, unfilledMs: holdMs - 5000 }, agent: { filledMs: 5000, unfilledMs: holdMs - 5000 } } });
    expect(summary.audio).toMatchObject({ customer: { droppedMs: 0 }, agent: { droppedMs: 0 } });
    // Per party 3 s + 5 s of fill + 4 s were decoded; the rest of the hold was not (it would be 2 x 127 s).
    expect((await decoded()) - decodedBefore).toBeLessThan(30);
  });

  it('closes only the faulty socket for malformed input, tolerates unknown events and sequence gaps, and counts each', async () => {
    const { svc, redis } = live;
    const errors = await ingestErrorSnapshot(svc.httpUrl, 'twilio');

    // A good call that meets an unknown event and a lost message, while other sockets misbehave.
    const goodSid = 'CA33333333333333333333333333333333';
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello supervisor' }], { parties: ['customer', 'agent'], sampleRate: 8000 });
    const good = new TwilioSender(svc.wsUrl('/v1/twilio'), goodSid, 'MZ33333333333333333333333333333333');
    await good.opened;
    await good.sendAll([good.connected(), good.start(['inbound'])]);
    const inbound = mulawEncode(call.pcm.customer!);
    const packets: string[] = [];
    for (let at = 0, ms = 0; at < inbound.length; at += 160, ms += 20) {
      if (at === 160 * 50) {
        packets.push(good.future());
        good.skipSequence(1);
      }
      packets.push(good.media('inbound', ms, inbound.subarray(at, at + 160)));
    }
    const goodRun = good.sendAll(packets);

    const reject = async (label: string, messages: (s: TwilioSender) => string[], reason: string) => {
      const s = new TwilioSender(svc.wsUrl('/v1/twilio'), 'CA44444444444444444444444444444444', 'MZ44444444444444444444444444444444');
      await s.opened;
      for (const m of messages(s)) s.socket.send(m);
      const closed = await s.closed;
      expect(closed.code, label).toBe(1008);
      expect(closed.reason, label).toMatch(new RegExp(`^${reason}`));
    };
    await Promise.all([
      reject('not JSON', () => ['{"event": "connected", '], 'bad_json'),
      reject('media before start', (s) => [s.connected(), s.media('inbound', 0, new Uint8Array(160))], 'audio_before_start'),
      reject('not mu-law', (s) => [s.connected(), s.start(['inbound'], {}, 'audio/x-l16')], 'unsupported_encoding'),
      reject('bad base64', (s) => [s.connected(), s.start(['inbound']), s.media('inbound', 0, new Uint8Array(160)).replace(/"payload":"[^"]*"/, '"payload":"%%%"')], 'bad_message'),
    ]);

    await goodRun;
    good.socket.send(good.stop());
    expect((await good.closed).code).toBe(1000);
    const summary = await waitForSummary(redis, svc.prefix, goodSid);
    expect(summary).toMatchObject({ endReason: 'stop', parties: ['customer'] });
    expect(summary.transcript.map((t) => t.text)).toContain('hello supervisor');
    expect(summary.alerts.map((a) => a.category)).toEqual(['escalation']);

    const delta = await errors.grownBy();
    expect(delta('bad_json')).toBe(1);
    expect(delta('audio_before_start')).toBe(1);
    expect(delta('unsupported_encoding')).toBe(1);
    expect(delta('bad_message')).toBe(1);
    expect(delta('unknown_message')).toBe(1);
    expect(delta('bad_sequence')).toBe(1);
  });
});
