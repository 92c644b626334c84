/** Calls the benchmarks stream into the engine: scripted tiny-model calls over the native WebSocket. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { buildCallAudio, type GeneratedCall, type ScriptLine } from '../src/asr/tiny-model/call-script.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type Pacing = 'max' | 'realtime';

export interface ShippedConfig {
  analytics: Record<string, unknown>;
  keywords: unknown[];
  asr: { workerNice: number };
}

/** config/voc.yaml's analytics sections and decoder priority, as users run them (rule file paths are relative to the repository). */
export function shippedConfig(): ShippedConfig {
  const file = parse(readFileSync(join(ROOT, 'config', 'voc.yaml'), 'utf8')) as Record<string, unknown>;
  const { analytics, keywords, asr } = file as { analytics?: Record<string, unknown>; keywords?: unknown[]; asr?: { workerNice?: number } };
  const rulesFiles = ((analytics?.rulesFiles as string[] | undefined) ?? []).map((f) => join(ROOT, f));
  return { analytics: { ...analytics, rulesFiles }, keywords: [...(keywords ?? []), CHURN], asr: { workerNice: asr?.workerNice ?? 0 } };
}

export const CHURN = { name: 'churn', phrases: ['cancel account'], party: 'customer', severity: 'high' };

/** A call that keeps both parties talking: tone words every few seconds, alternating. */
export function scriptedCall(seconds: number): GeneratedCall {
  const lines: ScriptLine[] = [];
  const phrases = ['hello recorded verify', 'cancel account refund', 'supervisor guaranteed', 'thanks hello'];
  for (let t = 500, i = 0; t < seconds * 1000 - 3000; t += 2500, i++) {
    lines.push({ party: i % 2 === 0 ? 'agent' : 'customer', atMs: t, text: phrases[i % phrases.length]! });
  }
  return buildCallAudio(lines, { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: seconds * 1000 });
}

export interface CallOutcome {
  callId: string;
  finals: number;
  alerts: number;
  /** When its first audio frame was sent (performance.now()). */
  firstFrameAt: number;
  refused: boolean;
}

export function streamCall(port: number, callId: string, audio: readonly Buffer[], pacing: Pacing): Promise<CallOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`);
    const outcome: CallOutcome = { callId, finals: 0, alerts: 0, firstFrameAt: 0, refused: false };
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; final?: boolean; code?: string };
      if (message.type === 'started') {
        outcome.firstFrameAt = performance.now();
        void (pacing === 'realtime' ? sendPaced(socket, audio, 20) : sendAll(socket, audio));
      } else if (message.type === 'transcript' && message.final) outcome.finals++;
      else if (message.type === 'alert') outcome.alerts++;
      else if (message.type === 'error' && message.code === 'capacity') resolve({ ...outcome, refused: true });
      else if (message.type === 'error') reject(new Error(`call ${callId}: ${message.code}`));
      else if (message.type === 'summary') resolve(outcome);
    });
    socket.on('error', reject);
  });
}

/** One frame every `frameMs` on a drift-free schedule, like a media server. */
async function sendPaced(socket: WebSocket, audio: readonly Buffer[], frameMs: number): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < audio.length; i++) {
    const wait = t0 + i * frameMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    socket.send(audio[i]!);
  }
  socket.send(JSON.stringify({ type: 'stop' }));
}

/**
 * Sends as fast as the socket drains, so the engine, not the client, sets the pace: past 256 KB
 * buffered, the client waits for that frame's write to complete (ws's send callback), not a timer.
 */
async function sendAll(socket: WebSocket, audio: readonly Buffer[]): Promise<void> {
  for (const frame of audio) {
    if (socket.bufferedAmount > 256 * 1024) await new Promise<void>((written) => socket.send(frame, () => written()));
    else socket.send(frame);
  }
  socket.send(JSON.stringify({ type: 'stop' }));
}

