import type { Argv, CommandModule } from 'yargs';
import { formatIssue, RuleSetError } from '../../analytics/rules/compile.js';
import { RuleStore } from '../../analytics/rules/loader.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

interface CheckArgs {
  files: string[];
}

/**
 * `voc rules check <file...>`: validates rule files together (word lists in one file are used by
 * categories in another, exactly as the engine loads them) and prints every problem with its file,
 * rule and field.
 */
export function rulesCommand(io: CliIo): CommandModule {
  const check: CommandModule<object, CheckArgs> = {
    command: 'check <files..>',
    describe: 'Validate rule files (categories, word lists, scorecard); exit 1 when any is invalid',
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Rule files (YAML or JSON), checked together' })
        .example('$0 rules check config/rules/*.yaml', 'check the shipped rule files'),
    handler: async ({ files }) => {
      try {
        const snapshot = await new RuleStore(files, { debounceMs: 0 }).load();
        const categories = snapshot.categories.filter((c) => !c.hidden).length;
        const checks = snapshot.scorecard ? `, scorecard "${snapshot.scorecard.name}" with ${snapshot.scorecard.checks.length} check(s)` : '';
        io.out(`ok: ${files.length} file(s), ${categories} categor${categories === 1 ? 'y' : 'ies'}${checks}`);
      } catch (err) {
        if (!(err instanceof RuleSetError)) throw err;
        for (const issue of err.issues) io.err(formatIssue(issue));
        throw new CliError(EXIT.failure, `${err.issues.length} problem(s) in the rule files`);
      }
    },
  };
  return {
    command: 'rules <command>',
    describe: 'Work with rule files',
    builder: (y: Argv) => y.command(check).demandCommand(1, 'name a rules command: check'),
    handler: () => {},
  };
}
