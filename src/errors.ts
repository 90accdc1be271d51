// The handful of error classes the tool raises on purpose. Each has a stable `code` and an exit code;
// the message says what happened, why, and what to do next. The original error stays as `cause`.
import { ExitCode } from './cli/exit-codes.js';

export abstract class AuroraMigrateError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The plan file is invalid; `diagnostics` carries every problem found. */
export class PlanInvalid extends AuroraMigrateError {
  readonly code = 'PLAN_INVALID';
  readonly exitCode = ExitCode.Invalid;
  constructor(message: string, readonly diagnostics: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The command line is wrong (unknown step id for --approve, bad --format, ...). */
export class UsageError extends AuroraMigrateError {
  readonly code = 'USAGE';
  readonly exitCode = ExitCode.Invalid;
}

/** A step failed; the run can be resumed after the cause is fixed. */
export class StepFailed extends AuroraMigrateError {
  readonly code = 'STEP_FAILED';
  readonly exitCode = ExitCode.Failed;
  constructor(readonly stepId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A preflight check failed (plan --preflight, or a step's own checks before it acts). */
export class PreflightFailed extends AuroraMigrateError {
  readonly code = 'PREFLIGHT_FAILED';
  readonly exitCode = ExitCode.Failed;
}

/** Paused at an approval step nobody approved. */
export class AwaitingApproval extends AuroraMigrateError {
  readonly code = 'AWAITING_APPROVAL';
  readonly exitCode = ExitCode.AwaitingApproval;
  constructor(readonly stepId: string, message: string) {
    super(message);
  }
}

/** The state file does not match the plan, is corrupt, or is from a newer version. */
export class StateConflict extends AuroraMigrateError {
  readonly code = 'STATE_CONFLICT';
  readonly exitCode = ExitCode.Conflict;
}

/** Another run holds the lock on this state file. */
export class Locked extends AuroraMigrateError {
  readonly code = 'LOCKED';
  readonly exitCode = ExitCode.Conflict;
}

/** SIGINT/SIGTERM: state is saved; `apply` resumes. */
export class Interrupted extends AuroraMigrateError {
  readonly code = 'INTERRUPTED';
  readonly exitCode = ExitCode.Interrupted;
}

/** A step type whose work is not built yet. Never reported as success. */
export class NotImplemented extends AuroraMigrateError {
  readonly code = 'NOT_IMPLEMENTED';
  readonly exitCode = ExitCode.Failed;
}
