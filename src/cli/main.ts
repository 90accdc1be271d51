// The bin entry: parses flags with commander, calls a command, turns its result into an exit code.
// Only this file calls process.exit.
import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODE_HELP, ExitCode, ExitError, exitCodeFor } from './exit-codes.js';
import { processIo, type GlobalOptions, type Io } from './io.js';
import { AuroraMigrateError } from '../errors.js';

const EXAMPLES = `Examples:
  $ aurora-migrate validate plans/*.yaml
  $ aurora-migrate plan plans/orders.yaml --format markdown > plan.md
  $ aurora-migrate plan plans/orders.yaml --preflight
  $ aurora-migrate apply plans/orders.yaml
  $ aurora-migrate apply plans/orders.yaml --approve cutover
  $ aurora-migrate status plans/orders.yaml --format json
  $ aurora-migrate status 'plans/*.yaml'
  $ aurora-migrate unlock plans/orders.yaml
  $ aurora-migrate report plans/orders.yaml --output orders-report.html`;

function common(cmd: Command, formats: string[] = ['text', 'json']): Command {
  return cmd
    .option(
      '--state <path>',
      "state file, or s3://BUCKET/KEY for shared remote state (default: the plan's state.s3, else .aurora-migrate/<plan name>.state.json)",
    )
    .addOption(new Option('--format <format>', 'output format').choices(formats).default(formats[0]))
    .option('--region <region>', 'AWS region (overrides the plan and the SDK chain)')
    .option('--profile <profile>', 'AWS shared-config profile')
    .option('--no-color', 'no colour (also NO_COLOR, or when the output is not a TTY)')
    .option(
      '--verbose',
      'every AWS call (operation, resource, duration, attempts) and SQL statement on stderr, secrets masked',
      false,
    );
}

function globals(raw: Record<string, unknown>): GlobalOptions {
  return {
    state: raw.state as string | undefined,
    format: (raw.format as GlobalOptions['format']) ?? 'text',
    region: raw.region as string | undefined,
    profile: raw.profile as string | undefined,
    color: raw.color !== false,
    verbose: Boolean(raw.verbose),
  };
}

export function buildProgram(io: Io, run: (code: Promise<number>) => void): Command {
  const program = new Command('aurora-migrate')
    .description('Move Amazon RDS for PostgreSQL to Aurora PostgreSQL with declarative, resumable YAML plans.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError(true)
    .addHelpText('before', EXAMPLES + '\n')
    .addHelpText('after', '\n' + EXIT_CODE_HELP)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  common(
    program
      .command('validate')
      .argument('<plan...>', 'plan files')
      .description('check plans offline: schema and semantic checks'),
  )
    .addHelpText('after', '\nExample:\n  $ aurora-migrate validate plans/*.yaml --format json\n\n' + EXIT_CODE_HELP)
    .action(async (files: string[], raw) => {
      const { runValidate } = await import('./commands/validate.js');
      run(runValidate(files, globals(raw), io));
    });

  common(
    program
      .command('plan')
      .argument('<plan...>', "plan files, or quoted globs ('plans/*.yaml')")
      .description('dry-run review: what apply would do, in order (several plans: a summary, then each review)'),
    ['text', 'markdown', 'json'],
  )
    .option('--preflight', 'also run read-only checks against the AWS account (exit 2 if one fails)', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ aurora-migrate plan plans/orders.yaml\n  $ aurora-migrate plan plans/orders.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"\n  $ aurora-migrate plan \'plans/*.yaml\' --format markdown > review.md\n\n' +
        EXIT_CODE_HELP,
    )
    .action(async (files: string[], raw) => {
      const { runPlanMany } = await import('./commands/plan-fleet.js');
      run(runPlanMany(files, { ...globals(raw), preflight: Boolean(raw.preflight) }, io));
    });

  const collect = (value: string, previous: string[]) => [...previous, value];
  common(
    program.command('apply').argument('<plan>', 'plan file').description('run the plan, or resume it where it stopped'),
  )
    .option('--approve <step>', 'approve this approval step (repeatable)', collect, [])
    .option('--until <step>', 'stop after this step')
    .option('--yes', 'answer interactive confirmations (never approves an approval step)', false)
    .option(
      '--take-over',
      'take over a remote (S3) lease whose heartbeat stopped 30s ago, e.g. of a lost CI runner (recorded; a live lease is never taken)',
      false,
    )
    .option(
      '--max-runtime <duration>',
      'stop at the first safe point after this long (e.g. 5h; never inside a cutover window), save the state and exit 75; run apply again to go on',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ aurora-migrate apply plans/orders.yaml --until catch-up\n  $ aurora-migrate apply plans/orders.yaml --approve cutover\n  $ aurora-migrate apply plans/orders.yaml --max-runtime 5h   # in a CI job: exit 75 = still in progress\n  $ aurora-migrate apply plans/orders.yaml --state s3://team-migrations/orders-to-aurora --take-over\n\n' +
        EXIT_CODE_HELP,
    )
    .action(async (file: string, raw) => {
      const { runApply } = await import('./commands/apply.js');
      run(
        runApply(
          file,
          {
            ...globals(raw),
            approve: raw.approve as string[],
            until: raw.until as string | undefined,
            yes: Boolean(raw.yes),
            takeOver: Boolean(raw.takeOver),
            maxRuntime: raw.maxRuntime as string | undefined,
          },
          io,
        ),
      );
    });

  common(
    program
      .command('status')
      .argument('<plan...>', "plan files, or quoted globs ('plans/*.yaml')")
      .description('what the state says, step by step; several plans: one table of the fleet'),
    ['text', 'markdown', 'json'],
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ aurora-migrate status plans/orders.yaml --format json\n  $ aurora-migrate status \'plans/*.yaml\' --format markdown >> "$GITHUB_STEP_SUMMARY"\n\n' +
        EXIT_CODE_HELP,
    )
    .action(async (files: string[], raw) => {
      const { runStatusMany } = await import('./commands/status-fleet.js');
      run(runStatusMany(files, globals(raw), io));
    });

  common(
    program
      .command('unlock')
      .argument('<plan>', 'plan file')
      .description('break a stale run lock (recorded in the event log)'),
  )
    .addHelpText('after', '\nExample:\n  $ aurora-migrate unlock plans/orders.yaml\n\n' + EXIT_CODE_HELP)
    .action(async (file: string, raw) => {
      const { runUnlock } = await import('./commands/unlock.js');
      run(runUnlock(file, globals(raw), io));
    });

  common(
    program
      .command('report')
      .argument('<plan...>', 'plan files')
      .description('the run as a page, offline, from the state and the event log (default html)'),
    ['html', 'markdown'],
  )
    .option('--output <file>', 'write the report to this file (default: stdout)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ aurora-migrate report plans/orders.yaml --output orders-report.html\n  $ aurora-migrate report plans/*.yaml --format markdown >> "$GITHUB_STEP_SUMMARY"\n\n' +
        EXIT_CODE_HELP,
    )
    .action(async (files: string[], raw) => {
      const { runReport } = await import('./commands/report.js');
      run(
        runReport(
          files,
          { ...globals(raw), format: raw.format as 'html' | 'markdown', output: raw.output as string | undefined },
          io,
        ),
      );
    });

  return program;
}

/** Turns anything a command threw into a message and an exit code. Never a stack trace for user errors. */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof ExitError) {
    if (err.message) io.stderr.write(err.message.endsWith('\n') ? err.message : err.message + '\n');
    return exitCodeFor(err);
  }
  if (err instanceof AuroraMigrateError) {
    io.stderr.write(`error: ${err.message}\n`);
    return exitCodeFor(err);
  }
  const e = err as Error;
  io.stderr.write(
    `error: internal error: ${e?.message ?? String(err)}\n` +
      `This is a bug in aurora-migrate. Please report it with the command you ran and this trace:\n${e?.stack ?? ''}\n`,
  );
  return ExitCode.Failed;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (p) => {
    pending = p;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors with 1.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Invalid;
    }
    return reportError(err, io);
  }
  if (!pending) return ExitCode.Ok;
  try {
    return await pending;
  } catch (err) {
    return reportError(err, io);
  }
}

/** The installed command: bin/aurora-migrate.js loads the bundle and calls this with the process's arguments. */
export function runFromBin(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportError(err, processIo());
    },
  );
}
