import { describe, expect, it } from 'vitest';
import { analyticsOptionsSchema } from '../../src/analytics/options.js';
import { compileRuleSet, RuleSetError } from '../../src/analytics/rules/compile.js';
import { createRulesDetector } from '../../src/analytics/rules/detector.js';
import type { DetectorOutput } from '../../src/analytics/types.js';
import { recognizeDrivers } from '../../src/analytics/voc/recognize.js';
import { collect, final, section, streamsOf } from '../helpers/transcripts.js';

const TAXONOMY = `
taxonomy:
  businessType: { mobile: 移动业务, broadband: 宽带业务 }
  system: { billing: 计费系统, crm: 客户关系管理系统 }
  network: { roaming: 国际漫游, fiber: 光纤网络 }
  department: { billing: 计费部, marketing: 市场部, retention: 客户挽留部 }
`;
const DRIVERS = `
categories:
  - name: cancel-intent
    rules: [{ type: phrase, party: customer, phrases: [cancel] }]
drivers:
  - id: refund-request
    name: 退款申请
    priority: 10
    dimensions: { businessType: mobile, system: billing, department: billing }
    rules: [{ type: phrase, party: customer, phrases: [refund] }]
  - id: churn
    name: 销户意向
    priority: 50
    dimensions: { businessType: broadband, system: crm, network: fiber, department: retention }
    category: cancel-intent
  - id: campaign-question
    name: 促销活动咨询
    priority: 10
    dimensions: { department: marketing }
    rules: [{ type: any_of, rules: [{ type: phrase, phrases: [balance] }, { type: phrase, phrases: [account] }] }]
`;

const options = analyticsOptionsSchema.parse({});
const compile = (...texts: string[]) => compileRuleSet(texts.map((text, i) => ({ file: `f${i}.yaml`, text })), 1);

function problems(...texts: string[]): string[] {
  try {
    compile(...texts);
  } catch (err) {
    if (err instanceof RuleSetError) return err.issues.map((i) => `${i.file}: ${i.rule ?? ''}: ${i.field}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('drivers taxonomy: validation', () => {
  it('compiles drivers with Chinese display names; inline rules become hidden categories', () => {
    const rules = compile(TAXONOMY, DRIVERS);
    expect(rules.drivers.map((d) => [d.id, d.name, d.category, d.priority])).toEqual([
      ['refund-request', '退款申请', 'driver:refund-request', 10],
      ['churn', '销户意向', 'cancel-intent', 50],
      ['campaign-question', '促销活动咨询', 'driver:campaign-question', 10],
    ]);
    expect(rules.taxonomy?.department.billing).toBe('计费部');
    expect(rules.categories.find((c) => c.name === 'driver:refund-request')?.hidden).toBe(true);
  });

  it('names file, driver and field of every problem', () => {
    const bad = `
drivers:
  - id: unclassified
    name: x
    dimensions: { department: billing }
    category: cancel-intent
  - id: a
    name: A
    dimensions: { department: sales, network: 6g }
    rules: [{ type: phrase, phrases: [x] }]
  - id: a
    name: A again
    dimensions: { department: billing }
    category: nope
  - id: b
    name: both
    dimensions: { department: billing }
    category: cancel-intent
    rules: [{ type: phrase, phrases: [x] }]
`;
    // Format errors and the checks across entries, in one pass.
    expect(problems(TAXONOMY, bad)).toEqual([
      'f1.yaml: driver "unclassified": drivers[0].id: "unclassified" is reserved for calls no driver matched',
      'f1.yaml: driver "b": drivers[3].category: give exactly one of category or rules',
      'f1.yaml: driver "a": drivers[1].dimensions.network: "6g" is not a declared network (allowed: roaming, fiber)',
      'f1.yaml: driver "a": drivers[1].dimensions.department: "sales" is not a declared department (allowed: billing, marketing, retention)',
      'f1.yaml: driver "a": drivers[2].id: driver already defined in f1.yaml',
      'f1.yaml: driver "a": drivers[2].category: unknown category "nope"',
    ]);
    const semantic = bad.replace(/  - id: unclassified[\s\S]*?(?=  - id: a\n)/, '').replace(/  - id: b[\s\S]*$/, '');
    expect(problems(TAXONOMY, semantic)).toEqual([
      'f1.yaml: driver "a": drivers[0].dimensions.network: "6g" is not a declared network (allowed: roaming, fiber)',
      'f1.yaml: driver "a": drivers[0].dimensions.department: "sales" is not a declared department (allowed: billing, marketing, retention)',
      'f1.yaml: driver "a": drivers[1].id: driver already defined in f1.yaml',
      'f1.yaml: driver "a": drivers[1].category: unknown category "nope"',
    ]);
    expect(problems(DRIVERS)[0]).toContain('no taxonomy declares the allowed values');
    expect(problems(TAXONOMY, TAXONOMY)).toEqual(['f1.yaml: : taxonomy: a taxonomy is already declared in f0.yaml; only one is allowed']);
  });
});

describe('drivers per call', () => {
  const rules = compile(TAXONOMY, DRIVERS);
  const run = async (...events: Parameters<typeof streamsOf>[0]) => collect(createRulesDetector(rules, options)(streamsOf(events)));
  const driverOutputs = (out: DetectorOutput[]) => out.filter((o): o is Extract<DetectorOutput, { kind: 'driver' }> => o.kind === 'driver').map((o) => o.drivers);

  it('reports the primary driver as soon as it is recognized, and again when a higher priority one appears', async () => {
    const out = await run(final('customer', 0, 'i want a refund', 1000), final('agent', 0, 'your balance', 3000), final('customer', 1, 'then cancel', 6000));
    expect(driverOutputs(out).map((d) => [d.primary.id, d.secondary.map((s) => s.id)])).toEqual([
      ['refund-request', []],
      ['refund-request', ['campaign-question']],
      ['churn', ['refund-request', 'campaign-question']],
    ]);
    const summary = section(out, 'drivers') as ReturnType<typeof recognizeDrivers>;
    expect(summary.primary).toMatchObject({ id: 'churn', name: '销户意向', department: 'retention', dimensions: { network: 'fiber' }, startMs: 6400 });
    // Each recognized driver's evidence, inline-rule drivers included (their category is hidden from 'categories').
    const { evidence } = section(out, 'drivers') as { evidence: Record<string, Array<{ party?: string; text: string }>> };
    expect(Object.keys(evidence).sort()).toEqual(['campaign-question', 'churn', 'refund-request']);
    expect(evidence['churn']).toEqual([expect.objectContaining({ party: 'customer', text: 'cancel', startMs: 6400 })]);
    expect(evidence['refund-request']).toEqual([expect.objectContaining({ party: 'customer', text: 'refund' })]);
    const tags = out.filter((o) => o.kind === 'tag').map((o) => (o as { tag: string }).tag);
    expect(tags).toEqual(expect.arrayContaining(['driver:churn', 'department:retention', 'cancel-intent']));
    expect(tags).not.toContain('driver:refund-request');
  });

  it('is unclassified when no driver matched', async () => {
    const out = await run(final('customer', 0, 'hello there', 1000));
    expect(driverOutputs(out)).toEqual([]);
    expect(section(out, 'drivers')).toEqual({ primary: expect.objectContaining({ id: 'unclassified' }), secondary: [], evidence: {} });
    expect(out).toContainEqual({ kind: 'tag', tag: 'driver:unclassified' });
  });

  it('recognizeDrivers is a pure function of the matched categories (ties keep file order)', () => {
    const m = { evidence: [], startMs: 0, endMs: 1, relevance: 0.5 };
    const result = recognizeDrivers(rules.drivers, new Map([['driver:campaign-question', m], ['driver:refund-request', m]]));
    expect([result.primary.id, ...result.secondary.map((d) => d.id)]).toEqual(['refund-request', 'campaign-question']);
  });

  it('adds no drivers section when no driver is configured', async () => {
    const out = await collect(createRulesDetector(compile('categories: []'), options)(streamsOf([final('customer', 0, 'refund', 0)])));
    expect(section(out, 'drivers')).toBeUndefined();
  });
});
