import type { Argv, CommandModule } from 'yargs';
import { compileRuleSet, formatIssue, RuleSetError, type RuleIssue, type RuleSetSnapshot, type RuleSource } from '../../analytics/rules/compile.js';
import { readRuleSources } from '../../analytics/rules/loader.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

interface CheckArgs {
  files: string[];
}

/**
 * `voc rules check <file...>`: validates rule files together (word lists in one file are used by
 * categories in another, exactly as the engine loads them) and prints every problem with its file,
 * rule and field, all in one run: format errors do not hide unknown lists or categories.
 */
export function rulesCommand(io: CliIo): CommandModule {
  const check: CommandModule<object, CheckArgs> = {
    command: 'check <files..>',
    describe: 'Validate rule files (categories, word lists, scorecard, drivers taxonomy); exit 1 when any is invalid',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Rule files (YAML or JSON), checked together' })
        .example('$0 rules check config/rules/*.yaml', 'check the shipped rule files'),
    handler: async ({ files }) => {
      // Each file is read on its own, so a missing one does not hide the problems of the others.
      const issues: RuleIssue[] = [];
      const sources: RuleSource[] = [];
      for (const file of files) {
        try {
          sources.push(...(await readRuleSources([file])));
        } catch (err) {
          if (!(err instanceof RuleSetError)) throw err;
          issues.push(...err.issues);
        }
      }
      let snapshot: RuleSetSnapshot | undefined;
      try {
        snapshot = compileRuleSet(sources, 1, { filesMissing: issues.length > 0 });
      } catch (err) {
        if (!(err instanceof RuleSetError)) throw err;
        issues.push(...err.issues);
      }
      if (issues.length > 0 || !snapshot) {
        for (const issue of issues) io.err(formatIssue(issue));
        throw new CliError(EXIT.failure, `${issues.length} problem(s) in the rule files`);
      }
      const categories = snapshot.categories.filter((c) => !c.hidden).length;
      const checks = snapshot.scorecard ? `, scorecard "${snapshot.scorecard.name}" with ${snapshot.scorecard.checks.length} check(s)` : '';
      const drivers = snapshot.drivers.length > 0 ? `, ${snapshot.drivers.length} driver(s) in ${new Set(snapshot.drivers.map((d) => d.dimensions.department)).size} department(s)` : '';
      io.out(`ok: ${files.length} file(s), ${categories} categor${categories === 1 ? 'y' : 'ies'}${checks}${drivers}`);
    },
  };
  return {
    command: 'rules',
    describe: 'Work with rule files',
    builder: (y: Argv) => y.command(check).demandCommand(1, 'name a rules command: check'),
    handler: () => {},
  };
}
