import type { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { appearances, axeViolations, focused, launchChromium, recordAppearances, screenshot } from '../helpers/browser.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { vocOptionsSchema } from '../../src/analytics/voc/options.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { VocAggregator } from '../../src/publish/voc-aggregator.js';
import { SpikeMonitor } from '../../src/publish/voc-spikes.js';
import { memoryLogger } from '../helpers/asr.js';
import { testRedis } from '../helpers/redis.js';
import { useRulesFile } from '../helpers/rules-file.js';
import { summaryWithDriver, toneDriverRules, TONE_DRIVERS_YAML } from '../helpers/voc.js';
import { RecordingClient } from '../helpers/ws-client.js';

const KEY = 'console-test-key-0123456789';
const BUCKET_MS = 60_000;
const VOC = { bucketMs: BUCKET_MS, spikes: { baselineBuckets: 30, minBaselineCalls: 50 } };
const SCRIPT = [
  { party: 'agent', atMs: 500, text: 'hello recorded' },
  { party: 'customer', atMs: 2500, text: 'cancel account refund' },
  { party: 'agent', atMs: 5000, text: 'verify' },
  { party: 'customer', atMs: 7500, text: 'supervisor' },
  { party: 'agent', atMs: 10_000, text: 'thanks' },
  { party: 'customer', atMs: 12_500, text: 'balance refund' },
  { party: 'agent', atMs: 15_000, text: 'supervisor anything' },
] as const;

async function login(context: BrowserContext, base: string, key = KEY, prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await context.newPage();
  await prepare?.(page);
  await page.goto(`${base}/console`);
  await page.fill('#key', key);
  await page.press('#key', 'Enter');
  return page;
}

/** Streams the scripted two-party call at real time (5 frames of 20 ms every 100 ms). */
async function streamCall(wsUrl: string, callId: string): Promise<RecordingClient> {
  const audio = buildCallAudio([...SCRIPT], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' });
  const client = new RecordingClient(wsUrl, new WebSocket(wsUrl, { headers: { 'x-api-key': KEY } }));
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], language: 'en', metadata: {} });
  await client.waitFor((m) => m.type === 'started');
  void client.sendAudio(frames(audio, 8000, 20), 5, 100).then(() => client.send({ type: 'stop' }));
  return client;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

describe('supervisor console in headless Chromium (real engine, tiny model, Redis)', () => {
  const rulesFile = useRulesFile('voc-console-rules-', TONE_DRIVERS_YAML);
  const live = useLiveService('console', () => ({
    keywords: CALL_KEYWORDS,
    auth: { apiKeys: [KEY] },
    analytics: { rulesFiles: [rulesFile.path] },
    // The test evaluates spikes itself (below); the engine's own monitor would race it.
    voc: { ...VOC, spikes: { ...VOC.spikes, enabled: false } },
  }));
  let browser: Browser;
  let sub: Redis;
  /** When each transcript line / alert of the test calls arrived on Redis pub/sub (test clock). */
  const arrived = new Map<string, number>();

  beforeAll(async () => {
    browser = await launchChromium();
    sub = testRedis();
    await sub.subscribe(live.keys.transcriptChannel(), live.keys.alertChannel());
    sub.on('message', (_channel, message) => {
      const event = JSON.parse(message) as { type: string; id?: string; party?: string; utterance?: number };
      const key = event.type === 'transcript' ? `${event.party}:${event.utterance}` : `alert:${event.id}`;
      if (!arrived.has(key)) arrived.set(key, Date.now());
    });
  });
  afterAll(async () => {
    await browser?.close();
    sub?.disconnect();
  });

  it('refuses a wrong key: the login form, the API and the live feed', async () => {
    const base = live.svc.httpUrl;
    const context = await browser.newContext();
    const page = await login(context, base, 'not-the-key-at-all');
    await page.waitForSelector('#login-error');
    expect(await page.textContent('#login-error')).toContain('refused');
    expect((await context.cookies()).some((c) => c.name === 'voc_console')).toBe(false);
    await screenshot(page, 'login');
    await context.close();

    expect((await fetch(`${base}/console/api/calls`)).status).toBe(401);
    expect((await fetch(`${base}/console/api/calls`, { headers: { 'x-api-key': 'wrong-key-wrong-key' } })).status).toBe(401);
    expect((await fetch(`${base}/console/api/calls`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    const refused = await fetch(`${base}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'wrong-key-wrong-key' }) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();
    const feed = new RecordingClient(live.svc.wsUrl('/console/live'));
    await expect(feed.opened).rejects.toThrow(/401/);
  });

  it('serves the page with a strict Content-Security-Policy and loads nothing from elsewhere', async () => {
    const res = await fetch(`${live.svc.httpUrl}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const context = await browser.newContext();
    const violations: string[] = [];
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(live.svc.httpUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    await page.goto(`${live.svc.httpUrl}/console`);
    await page.fill('#key', KEY);
    await page.press('#key', 'Enter');
    await page.waitForSelector('#connection:text("live")');
    expect(violations.filter((v) => /Content Security Policy/i.test(v))).toEqual([]);
    expect(foreign).toEqual([]);
    await context.close();
  });

  it('shows a live call, its transcript lines and alerts within 1 s of Redis; keeps every alert across a reload; acks reach another browser', async () => {
    const { svc, redis, keys } = live;
    const callId = 'console-call-1';
    const contextA = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const contextB = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await login(contextA, svc.httpUrl, KEY, recordAppearances);
    await page.waitForSelector('#connection:text("live")');

    const client = await streamCall(svc.wsUrl('/v1/stream'), callId);
    // The call appears on the board.
    const row = await page.waitForSelector(`tr[data-call-id="${callId}"]`, { timeout: 10_000 });
    expect(await row.textContent()).toContain('customer, agent');
    await screenshot(page, 'board');
    // Open it from the keyboard.
    await page.focus(`a[href="#/call/${callId}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#call-title');
    const openedAt = Date.now();

    // Mid-call: the first alert is shown; then reload the page.
    await page.waitForSelector('[data-alert-id]', { timeout: 15_000 });
    const beforeReload = await appearances(page);
    const reloadAt = Date.now();
    await screenshot(page, 'call-live');
    await page.reload();
    await page.waitForSelector('#call-title');
    await page.waitForSelector('#connection:text("live")');

    const summary = await client.waitFor((m) => m.type === 'summary', 60_000);
    expect(summary.alertCount).toBeGreaterThanOrEqual(2);
    await page.waitForSelector('h3:text("Stored summary")', { timeout: 10_000 });
    const afterReload = await appearances(page);

    // The call's driver (the cross-call layer's: the customer said "cancel") is on the call's page.
    expect(await page.textContent('#call-title + p')).toContain('driver cancel');
    // Every alert of the call (from Redis) is on the page after the reload.
    const stored = (await redis.xrange(keys.callAlerts(callId), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { type: string; id: string });
    const alertIds = stored.filter((e) => e.type === 'alert').map((e) => e.id);
    expect(alertIds.length).toBeGreaterThanOrEqual(2);
    for (const id of alertIds) expect(await page.locator(`[data-alert-id="${id}"]`).count(), id).toBeGreaterThan(0);
    // Every final transcript line too.
    const lines = (await redis.xrange(keys.callTranscript(callId), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { party: string; utterance: number; text: string });
    expect(lines.length).toBeGreaterThanOrEqual(SCRIPT.length - 1);
    for (const l of lines) expect(await page.locator(`[data-line="${l.party}:${l.utterance}"]`).textContent()).toContain(l.text.split(' ')[0]);
    // Matched words are highlighted.
    expect(await page.locator('mark').count()).toBeGreaterThan(0);
    await screenshot(page, 'call-ended');

    // Latency from arrival in Redis to the DOM, for what arrived while the page was open and live.
    const latencies: number[] = [];
    for (const [key, at] of arrived) {
      const seen = at > openedAt && at < reloadAt ? beforeReload[key] : at > reloadAt + 2000 ? afterReload[key] : undefined;
      if (seen !== undefined) latencies.push(seen - at);
    }
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    console.log(`console latency Redis->DOM: n=${latencies.length} median=${quantile(latencies, 0.5)} ms max=${Math.max(...latencies)} ms`);
    // The target is 1 s; on two busy cores the bound is generous for outliers, the median must meet it.
    expect(quantile(latencies, 0.5)).toBeLessThan(1000);
    expect(Math.max(...latencies)).toBeLessThan(5000);

    // Acknowledge in browser A, see it in browser B at once.
    const pageB = await login(contextB, svc.httpUrl);
    await pageB.goto(`${svc.httpUrl}/console#/alerts`);
    await pageB.waitForSelector(`[data-alert-id="${alertIds[0]}"]`);
    await page.goto(`${svc.httpUrl}/console#/alerts`);
    await page.fill('#me', 'Dana');
    const rowA = page.locator(`li[data-alert-id="${alertIds[0]}"]`);
    await rowA.locator('button:text("Acknowledge")').click();
    await rowA.locator('button:text-is("Assign to…")').click();
    await rowA.locator('input.assign').fill('Lee');
    await rowA.locator('button:text-is("Assign")').click();
    const rowB = pageB.locator(`li[data-alert-id="${alertIds[0]}"]`);
    await rowB.locator('.ack-state:text("Acknowledged by Dana")').waitFor({ timeout: 5000 });
    await rowB.locator('.assignee:text("Assigned to Lee")').waitFor({ timeout: 5000 });
    await screenshot(pageB, 'alerts');
    // Stored in Redis, so a fresh page (or another instance) shows it too.
    const pageC = await contextB.newPage();
    await pageC.goto(`${svc.httpUrl}/console#/alerts`);
    await pageC.locator(`li[data-alert-id="${alertIds[0]}"] .ack-state`).waitFor();
    await contextA.close();
    await contextB.close();
  }, 180_000);

  it('is operable from the keyboard alone: sign in, open a call, acknowledge an alert', async () => {
    // Its own live call with an alert, written as every engine instance writes them (the console
    // reads Redis), so the test does not depend on what the tests before it left.
    const { svc, redis } = live;
    const callId = 'console-keyboard-call';
    const publisher = new RedisCallPublisher(redis, { prefix: svc.prefix, retentionMs: 60_000, alertStreamMaxLen: 1000, maxPendingWrites: 1000 }, new EngineMetrics({ defaults: false }), memoryLogger().log, 600_000);
    const format = { encoding: 'mulaw', sampleRate: 8000, channels: 2 } as const;
    await publisher.callStarted({ callId, protocol: 'stream', format, parties: ['customer', 'agent'], language: 'en', metadata: {} }, new Date(), 'keyboard-test');
    await publisher.alert(
      { type: 'alert', v: 1, id: `${callId}/churn-risk:0`, callId, kind: 'keyword', category: 'churn-risk', severity: 'high', party: 'customer', phrase: 'cancel account', startMs: 1000, endMs: 1800, raisedAt: new Date().toISOString() },
      'keyboard-test',
    );
    await publisher.flush(10_000);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${svc.httpUrl}/console`);
    // The sign-in form takes the key at once: the field has focus when it appears. (A selector, not
    // waitForFunction: polling a string predicate evaluates it in the page, which the CSP forbids.)
    await page.waitForSelector('#key:focus');
    await page.keyboard.type(KEY);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#connection:text("live")');
    // Tab from the top of the page (skip link, views, name, sign out, filter, selects) to the call's link.
    let href = '';
    for (let i = 0; i < 30 && href !== `#/call/${callId}`; i++) {
      await page.keyboard.press('Tab');
      href = await focused(page, 'href');
    }
    expect(href).toBe(`#/call/${callId}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#call-title');
    // Name field, then Tab to the alert's Acknowledge button and press it.
    await page.focus('#me');
    await page.keyboard.type('Kim');
    let label = '';
    for (let i = 0; i < 60 && label !== 'Acknowledge'; i++) {
      await page.keyboard.press('Tab');
      label = await focused(page, 'text');
    }
    expect(label).toBe('Acknowledge');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.ack-state:text("Acknowledged by Kim")');
    await context.close();
  }, 180_000);

  it('meets WCAG 2 AA on every view (axe-core: contrast, labels, roles)', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${live.svc.httpUrl}/console`);
    const audit = async (view: string) => expect(await axeViolations(page), view).toEqual([]);
    await page.waitForSelector('#key');
    await audit('login');
    await page.fill('#key', KEY);
    await page.press('#key', 'Enter');
    await page.waitForSelector('#connection:text("live")');
    await page.selectOption('select >> nth=0', 'all');
    await page.waitForSelector('tr[data-call-id]');
    await audit('board');
    await page.goto(`${live.svc.httpUrl}/console#/alerts`);
    await page.waitForSelector('[data-alert-id]');
    await audit('alerts');
    await page.goto(`${live.svc.httpUrl}/console#/call/console-call-1`);
    await page.waitForSelector('h3:text("Stored summary")');
    await audit('call');
    await page.goto(`${live.svc.httpUrl}/console#/drivers`);
    await page.waitForSelector('#drivers-title');
    await page.waitForSelector('.department');
    await audit('drivers');
    await context.close();
  }, 120_000);

  it('shows drivers per department with their trend and highlights a spike with links to example calls', async () => {
    const { svc, redis } = live;
    // History through the cross-call layer's own aggregation: 30 steady minutes, then "refund" quintuples.
    const rules = toneDriverRules();
    const options = vocOptionsSchema.parse(VOC);
    const metrics = new EngineMetrics({ defaults: false });
    const aggregator = new VocAggregator(redis, svc.prefix, { ...options, exampleCalls: 5 }, () => rules, metrics);
    const last = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS - BUCKET_MS;
    let n = 0;
    for (let b = last - 31 * BUCKET_MS; b <= last; b += BUCKET_MS) {
      const surge = b >= last - BUCKET_MS;
      const perWord: Record<string, number> = { refund: surge ? 60 : 12, balance: 18, cancel: 9, account: 9 };
      const writes: Array<Promise<void>> = [];
      for (const [word, count] of Object.entries(perWord)) {
        for (let i = 0; i < count; i++) writes.push(aggregator.record(summaryWithDriver(rules, `seed-${n++}`, word, b + 1000 + i * 100)));
      }
      await Promise.all(writes);
    }
    const monitor = new SpikeMonitor({ redis, prefix: svc.prefix, options, instance: 'console-test', rules: () => rules, metrics, log: memoryLogger().log, now: () => last + BUCKET_MS });
    const { raised } = await monitor.evaluate(last);
    const spike = raised.find((r) => r.series.id === 'refund');
    expect(spike).toBeDefined();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await login(context, svc.httpUrl);
    await page.waitForSelector('#connection:text("live")');
    await page.click('a[href="#/drivers"]');
    const row = page.locator(`tr[data-spike-id="${spike!.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('class')).toContain('spike-active');
    expect(await row.textContent()).toContain('ongoing');
    // Departments with their drivers and a trend against the previous period.
    await page.locator('section[aria-label="计费部 drivers"] tr[data-driver-id="refund"]').waitFor();
    expect(await page.locator('section[aria-label="客户挽留部 drivers"] tr[data-driver-id="cancel"]').count()).toBe(1);
    await screenshot(page, 'drivers');
    // An example call is one click (or Enter) away.
    const example = row.locator('a').first();
    const href = (await example.getAttribute('href')) ?? '';
    expect(spike!.exampleCallIds.map((id) => `#/call/${id}`)).toContain(href);
    await example.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash === href);
    await context.close();
  }, 180_000);
});
