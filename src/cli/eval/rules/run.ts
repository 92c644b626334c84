import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../../../config/schema.js';
import type { CallSummary } from '../../../events/schema.js';
import { createLogger } from '../../../log/logger.js';
import { CliError, EXIT } from '../../errors.js';
import { Interrupt } from '../../interrupt.js';
import { openReplayEngineForCli, type ReplayEngine } from '../../replay/engine.js';
import { resolveInputs } from '../../replay/inputs.js';
import { Pacer } from '../../replay/pacer.js';
import { playInput } from '../../replay/play.js';
import { checkLabels, LABEL_FILES, LabelsError, readLabels, type RuleNames } from './labels.js';
import { outcomeOf, scoreItems, unjudged, type CallOutcome, type ItemScore } from './score.js';

/**
 * `voc eval rules <dir>`: every call of a labelled set (transcript files and/or recordings) played
 * through the replay engine — the same CallEngine, sessions and analytics as `voc replay` and
 * `voc serve` — and each call's summary (categories, drivers, scorecard) scored against the labels.
 */

export interface RulesEvalOptions {
  dir: string;
  /** Labels file; default <dir>/labels.csv or <dir>/labels.json. */
  labels: string | undefined;
  /** Rule files; default config.analytics.rulesFiles. */
  rules: string[] | undefined;
  /** Parties of the recordings' channels (replay's --parties). */
  parties: string[] | undefined;
  language: string;
  logLevel: Config['logging']['level'];
  /** Keep each call's summary here; default a temporary directory, removed afterwards. */
  out: string | undefined;
  onCall?: (done: number, total: number) => void;
}

export interface RulesEvalReport {
  dir: string;
  labels: string;
  rulesFiles: string[];
  calls: number;
  /** Calls in the set without a row in the labels (played, not scored). */
  unlabelledCalls: string[];
  categories: ItemScore[];
  drivers: ItemScore[];
  checks: ItemScore[];
  /** Names the rule files define but no label judges. */
  notLabelled: { categories: string[]; drivers: string[]; checks: string[] };
}

const CHUNK_MS = 100;

export async function runRulesEval(config: Config, options: RulesEvalOptions): Promise<RulesEvalReport> {
  const labelsPath = options.labels ?? findLabels(options.dir);
  // labels.csv / labels.json of the set are never calls, even when --labels names another file.
  const ignore = [...LABEL_FILES, ...(resolve(dirname(labelsPath)) === resolve(options.dir) ? [basename(labelsPath)] : [])];
  const { inputs, problems } = await resolveInputs(options.dir, {
    allowedSampleRates: config.limits.allowedSampleRates,
    maxParties: config.limits.maxParties,
    parties: options.parties,
    ignore,
  });
  if (problems.length > 0) throw new CliError(EXIT.failure, `the set cannot be evaluated:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  let rawLabels;
  try {
    rawLabels = await readLabels(labelsPath);
  } catch (err) {
    if (err instanceof LabelsError) throw new CliError(EXIT.failure, err.message);
    throw err;
  }

  const work = options.out === undefined ? mkdtempSync(join(tmpdir(), 'voc-eval-rules-')) : undefined;
  const log = createLogger(options.logLevel, pino.destination({ fd: 2, sync: true }));
  let replay: ReplayEngine | undefined;
  try {
    replay = await openReplayEngineForCli(
      config,
      { outDir: options.out ?? work!, redis: false, rulesFiles: options.rules, redisConnectTimeoutMs: 0, asr: inputs.some((i) => i.kind === 'audio') },
      log,
    );
    const snapshot = replay.rules();
    const names: RuleNames = {
      categories: snapshot.categories.filter((c) => !c.hidden).map((c) => c.name),
      drivers: snapshot.drivers.map((d) => d.id),
      checks: config.analytics.scorecard.enabled ? (snapshot.scorecard?.checks.map((c) => c.name) ?? []) : [],
    };
    const checked = checkLabels(rawLabels, names, new Set(inputs.map((i) => i.callId)));
    if (checked.problems.length > 0) throw new CliError(EXIT.failure, `${labelsPath}: ${checked.problems.length} problem(s):\n${checked.problems.map((p) => `  ${p}`).join('\n')}`);

    const outcomes = new Map<string, CallOutcome>();
    const failed: string[] = [];
    const pacer = new Pacer({ kind: 'asap', maxBacklogMs: config.asr.maxQueueMs / 2 }, replay.backlogMs);
    // Ctrl-C: end the current call, clean up (temporary summaries, recognizers) and exit 130/143.
    const interrupt = new Interrupt((signal) => process.stderr.write(`\nvoc: ${signal}: stopping the evaluation; press Ctrl-C again to quit at once\n`));
    try {
      for (const [i, input] of inputs.entries()) {
        if (interrupt.signal) break;
        let summary: CallSummary | undefined;
        try {
          await playInput(input, replay, pacer, {
            language: options.language,
            chunkMs: CHUNK_MS,
            stopRequested: () => interrupt.signal !== undefined,
            onSession: (session) => session.events$.subscribe((e) => (e.type === 'summary' ? (summary = e) : undefined)),
          });
        } catch (err) {
          failed.push(`${input.path}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (summary === undefined) failed.push(`${input.path}: the call ended without a summary`);
        else if (summary.endReason !== 'stop') failed.push(`${input.path}: the call ended as '${summary.endReason}'`);
        else outcomes.set(input.callId, outcomeOf(summary));
        options.onCall?.(i + 1, inputs.length);
      }
    } finally {
      interrupt.dispose();
    }
    if (interrupt.signal) throw new CliError(interrupt.exitCode, `interrupted by ${interrupt.signal}: nothing was scored`);
    // A set that did not play fully would give figures for a different set.
    if (failed.length > 0) throw new CliError(EXIT.failure, `${failed.length} call(s) could not be evaluated:\n${[...new Set(failed)].map((f) => `  ${f}`).join('\n')}`);

    const labels = checked.labels;
    const labelled = new Set(labels.map((l) => l.call));
    return {
      dir: options.dir,
      labels: labelsPath,
      rulesFiles: snapshot.files,
      calls: inputs.length,
      unlabelledCalls: inputs.map((i) => i.callId).filter((id) => !labelled.has(id)),
      categories: scoreItems('category', names.categories, labels, outcomes),
      drivers: scoreItems('driver', [...names.drivers, 'unclassified'], labels, outcomes),
      checks: scoreItems('check', names.checks, labels, outcomes),
      notLabelled: {
        categories: unjudged('category', names.categories, labels),
        drivers: unjudged('driver', names.drivers, labels),
        checks: unjudged('check', names.checks, labels),
      },
    };
  } finally {
    await replay?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  }
}

function findLabels(dir: string): string {
  const found = LABEL_FILES.map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (found.length === 0) throw new CliError(EXIT.failure, `${dir}: no ${LABEL_FILES.join(' or ')} (or name the labels with --labels)`);
  if (found.length > 1) throw new CliError(EXIT.failure, `${dir}: both ${LABEL_FILES.join(' and ')}; name one with --labels`);
  return found[0]!;
}
