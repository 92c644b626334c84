import { compileRuleSet, type RuleSetSnapshot } from '../../src/analytics/rules/compile.js';
import { recognizeDrivers } from '../../src/analytics/voc/recognize.js';
import type { CallSummary } from '../../src/events/schema.js';

/** Drivers on tiny-model words (each word is a tone the tiny model recognizes). */
export const TONE_DRIVERS_YAML = `
taxonomy:
  businessType: { mobile: 移动业务, broadband: 宽带业务 }
  system: { billing: 计费系统, crm: 客户关系管理系统 }
  department: { billing: 计费部, retention: 客户挽留部, support: 客服部 }
categories:
  - name: verify-mentioned
    rules: [{ type: phrase, phrases: [verify] }]
drivers:
  - id: refund
    name: 退款
    priority: 20
    dimensions: { businessType: mobile, system: billing, department: billing }
    rules: [{ type: phrase, party: customer, phrases: [refund] }]
  - id: balance
    name: 余额查询
    priority: 10
    dimensions: { businessType: mobile, system: billing, department: billing }
    rules: [{ type: phrase, party: customer, phrases: [balance] }]
  - id: cancel
    name: 销户
    priority: 30
    dimensions: { businessType: broadband, system: crm, department: retention }
    rules: [{ type: phrase, party: customer, phrases: [cancel] }]
  - id: account
    name: 账户问题
    priority: 5
    dimensions: { department: support }
    rules: [{ type: phrase, party: customer, phrases: [account] }]
`;

export function toneDriverRules(): RuleSetSnapshot {
  return compileRuleSet([{ file: 'tone-drivers.yaml', text: TONE_DRIVERS_YAML }], 1);
}

/** A summary as the engine writes it, with the drivers its words give (for aggregation tests without audio). */
export function summaryWithDriver(rules: RuleSetSnapshot, callId: string, word: string | undefined, endedAtMs: number): CallSummary {
  const driver = rules.drivers.find((d) => d.id === word);
  const m = { evidence: [], startMs: 0, endMs: 400 };
  const drivers = recognizeDrivers(rules.drivers, driver ? new Map([[driver.category, m]]) : new Map());
  const endedAt = new Date(endedAtMs).toISOString();
  return {
    type: 'summary',
    v: 1,
    callId,
    protocol: 'test',
    language: 'en',
    parties: ['customer'],
    metadata: {},
    startedAt: endedAt,
    endedAt,
    durationMs: 1000,
    endReason: 'stop',
    cutShort: false,
    tags: [],
    alertCount: 0,
    alerts: [],
    transcript: [],
    audio: {},
    analytics: { drivers, categories: { matched: word === 'verify' ? [{ name: 'verify-mentioned' }] : [] } },
  };
}

/** A seeded PRNG (mulberry32): the same seed gives the same simulated traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Poisson sample (Knuth's method; fine for the rates of these simulations, below ~500). */
export function poisson(random: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}
