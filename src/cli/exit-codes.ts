// Exit codes are part of the contract (docs/design.md "Exit codes"): scripts and CI branch on them. Errors and results
// carry their kind (an error's `code`, a result's `outcome`); this file is the one place that maps
// kinds to exit codes.
import { AuroraMigrateError } from '../errors.js';
import type { ApplyOutcome } from '../engine/result.js';

export const ExitCode = {
  Ok: 0,
  Invalid: 1,
  Failed: 2,
  AwaitingApproval: 3,
  Conflict: 4,
  InProgress: 75,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0    success (apply: every step up to the end or --until succeeded)
  1    the plan is invalid, or the command line is wrong
  2    a step failed, or a preflight check failed
  3    paused at an approval step that was not approved (re-run with --approve ID)
  4    another run holds the lock, or the state file does not match the plan
  75   apply --max-runtime reached: state saved at a safe point, run apply again to go on
  130  interrupted (SIGINT/SIGTERM); state is saved and apply resumes it`;

/** Thrown by commands to end the process with a code; only bin/main turns it into process.exit. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message = '',
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

/** Error kinds that are not a plain failure (exit 2); every other AuroraMigrateError (a step or
 * preflight failure, an AWS error, a state write that failed, ...) is one. */
const KIND_EXIT: Readonly<Record<string, ExitCode>> = {
  PLAN_INVALID: ExitCode.Invalid,
  USAGE: ExitCode.Invalid,
  AWAITING_APPROVAL: ExitCode.AwaitingApproval,
  STATE_CONFLICT: ExitCode.Conflict,
  LOCKED: ExitCode.Conflict,
  MAX_RUNTIME: ExitCode.InProgress,
  INTERRUPTED: ExitCode.Interrupted,
};

/** The exit code for an error a command threw (anything that is not ours is a bug: exit 2). */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof ExitError) return err.exitCode;
  if (err instanceof AuroraMigrateError) return KIND_EXIT[err.code] ?? ExitCode.Failed;
  return ExitCode.Failed;
}

const OUTCOME_EXIT: Readonly<Record<ApplyOutcome, ExitCode>> = {
  succeeded: ExitCode.Ok,
  until: ExitCode.Ok,
  'awaiting-approval': ExitCode.AwaitingApproval,
  failed: ExitCode.Failed,
  interrupted: ExitCode.Interrupted,
  'rolled-back': ExitCode.Failed,
  'max-runtime': ExitCode.InProgress,
};

/** The exit code for how an apply ended. */
export function exitCodeForOutcome(outcome: ApplyOutcome): ExitCode {
  return OUTCOME_EXIT[outcome];
}
