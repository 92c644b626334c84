import type { CommandModule } from 'yargs';
import { VocReader, type DriversReport, type SpikeRecord } from '../../publish/voc-reader.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { parseDuration, vocRedisOptions, withVocRedis, type VocRedisArgs } from '../voc-redis.js';

interface DriversArgs extends VocRedisArgs {
  period: string;
  until?: string;
  department?: string;
  limit: number;
  json: boolean;
}

const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const hhmm = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** `↑ from 9.2%` / `↓ from 30.0%` / `= 12.0%` / `new`. */
export function trend(rate: number, previousRate: number, previousCalls: number): string {
  if (previousCalls === 0) return 'new';
  const diff = rate - previousRate;
  if (Math.abs(diff) < 0.0005) return `= ${pct(previousRate)}`;
  return `${diff > 0 ? '↑' : '↓'} from ${pct(previousRate)}`;
}

export function formatDriversReport(report: DriversReport, periodMs: number): string[] {
  const hours = periodMs / 3_600_000;
  const period = Number.isInteger(hours) ? `${hours}h` : `${Math.round(periodMs / 60_000)}m`;
  const lines = [
    `Drivers ${hhmm(new Date(report.fromMs).toISOString())} - ${hhmm(new Date(report.toMs).toISOString())} UTC (${period}): ${report.volume} calls; previous ${period}: ${report.previousVolume}`,
  ];
  if (report.departments.length === 0) lines.push('  (no driver-tagged calls in this period)');
  for (const dep of report.departments) {
    lines.push(`${dep.department}${dep.name !== dep.department ? ` ${dep.name}` : ''}: ${dep.calls} calls`);
    for (const d of dep.drivers) {
      lines.push(`  ${d.id.padEnd(24)} ${d.name.padEnd(12)} ${String(d.calls).padStart(6)}  ${pct(d.rate).padStart(6)}  ${trend(d.rate, d.previousRate, d.previousCalls)}`);
    }
  }
  lines.push(`unclassified: ${report.unclassified.calls} calls (${pct(report.unclassified.rate)})`);
  return lines;
}

export function formatSpike(s: SpikeRecord): string {
  const { spike } = s;
  const who = `${spike.series.kind} ${spike.series.id}${spike.series.name ? ` ${spike.series.name}` : ''}${spike.series.department ? ` [${spike.series.department}]` : ''}`;
  const parts = [
    spike.id,
    who,
    `${spike.observed} calls vs ${spike.expected} expected of ${spike.volume} (${pct(spike.currentRate)} vs ${pct(spike.expectedRate)}, p=${spike.pValue.toExponential(1)})`,
    `since ${hhmm(spike.windowStart)}`,
    s.active ? 'active' : `ended ${s.end ? hhmm(s.end.endedAt) : ''}`.trim(),
    s.status,
  ];
  if (s.ack) parts.push(`acked by ${s.ack.by} ${hhmm(s.ack.at)} ${JSON.stringify(s.ack.note)}`);
  if (s.resolve) parts.push(`resolved by ${s.resolve.by} ${hhmm(s.resolve.at)} ${JSON.stringify(s.resolve.note)}`);
  if (spike.exampleCallIds.length > 0) parts.push(`examples: ${spike.exampleCallIds.join(', ')}`);
  return parts.join('  ');
}

/**
 * `voc drivers`: top drivers per department over a period with the trend against the period before,
 * the spikes still open, and for resolved spikes the rate before and after the fix.
 */
export function driversCommand(io: CliIo): CommandModule<object, DriversArgs> {
  return {
    command: 'drivers',
    describe: 'Top call drivers per department with trends, open spikes, and before/after of resolved ones',
    builder: (y) =>
      vocRedisOptions(
        y
          .option('period', { type: 'string', default: '24h', describe: 'Period to count (e.g. 30m, 24h, 7d); the trend compares with the period before' })
          .option('until', { type: 'string', describe: 'End of the period (ISO-8601 time; default now), to look at a past period' })
          .option('department', { type: 'string', describe: 'Only this department' })
          .option('limit', { type: 'number', default: 10, describe: 'Drivers shown per department' })
          .option('json', { type: 'boolean', default: false, describe: 'One JSON document instead of text' })
          .example('$0 drivers --period 1h', 'the last hour against the hour before')
          .example('$0 drivers --department billing --json', "the billing department's drivers as JSON"),
      ),
    handler: async (args) => {
      const periodMs = parseDuration(args.period);
      const nowMs = args.until === undefined ? Date.now() : Date.parse(args.until);
      if (!Number.isFinite(nowMs)) throw new UsageError(`--until: not a time: ${JSON.stringify(args.until)} (use ISO-8601, e.g. 2026-11-30T14:00Z)`);
      await withVocRedis(args, 'voc-drivers', async (redis, config, prefix) => {
        const reader = new VocReader(redis, prefix, config.voc.bucketMs);
        const [report, spikes] = await Promise.all([
          reader.drivers({ nowMs, periodMs, ...(args.department ? { department: args.department } : {}), limit: args.limit }),
          reader.spikes({ limit: 200 }),
        ]);
        const mine = (s: SpikeRecord) => args.department === undefined || s.spike.series.department === args.department;
        const open = spikes.filter((s) => s.status !== 'resolved' && mine(s));
        const resolved = spikes.filter((s) => s.status === 'resolved' && mine(s) && Date.parse(s.resolve?.at ?? '') >= nowMs - periodMs);
        const outcomes = await Promise.all(resolved.map(async (s) => ({ record: s, rates: await reader.beforeAfter(s, nowMs) })));
        if (args.json) {
          io.out(JSON.stringify({ report, openSpikes: open, resolvedSpikes: outcomes.map((o) => ({ ...o.record, ...o.rates })) }));
          return;
        }
        for (const line of formatDriversReport(report, periodMs)) io.out(line);
        io.out('');
        io.out(`Open spikes: ${open.length}`);
        for (const s of open) io.out(`  ${formatSpike(s)}`);
        if (outcomes.length > 0) {
          io.out('');
          io.out(`Resolved in this period: ${outcomes.length}`);
          for (const { record, rates } of outcomes) {
            io.out(`  ${formatSpike(record)}`);
            if (rates) {
              io.out(`    rate before the resolve ${pct(rates.before.rate)} (${rates.before.calls}/${rates.before.volume}), after ${pct(rates.after.rate)} (${rates.after.calls}/${rates.after.volume})`);
            }
          }
        }
      });
    },
  };
}
