// The handful of error classes the tool raises on purpose. Each has a stable `code`, its kind (the CLI
// maps kinds to exit codes in src/cli/exit-codes.ts); the message says what happened, why, and what
// to do next. The original error stays as `cause`.

export abstract class AuroraMigrateError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The plan file is invalid; `diagnostics` carries every problem found. */
export class PlanInvalid extends AuroraMigrateError {
  readonly code = 'PLAN_INVALID';
  constructor(message: string, readonly diagnostics: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The command line is wrong (unknown step id for --approve, bad --format, ...). */
export class UsageError extends AuroraMigrateError {
  readonly code = 'USAGE';
}

/** A step failed; the run can be resumed after the cause is fixed. */
export class StepFailed extends AuroraMigrateError {
  readonly code = 'STEP_FAILED';
  constructor(readonly stepId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A preflight check failed (plan --preflight, or a step's own checks before it acts). */
export class PreflightFailed extends AuroraMigrateError {
  readonly code = 'PREFLIGHT_FAILED';
}

/** Paused at an approval step nobody approved. */
export class AwaitingApproval extends AuroraMigrateError {
  readonly code = 'AWAITING_APPROVAL';
  constructor(readonly stepId: string, message: string) {
    super(message);
  }
}

/** The state file does not match the plan, is corrupt, or is from a newer version. */
export class StateConflict extends AuroraMigrateError {
  readonly code = 'STATE_CONFLICT';
}

/** Another run holds the lock on this state file. */
export class Locked extends AuroraMigrateError {
  readonly code = 'LOCKED';
}

/** SIGINT/SIGTERM: state is saved; `apply` resumes. */
export class Interrupted extends AuroraMigrateError {
  readonly code = 'INTERRUPTED';
}

/** A step type whose work is not built yet. Never reported as success. */
export class NotImplemented extends AuroraMigrateError {
  readonly code = 'NOT_IMPLEMENTED';
}

/** The cutover window's deadline passed before the point of no return: the engine rolls back. */
export class WindowExpired extends AuroraMigrateError {
  readonly code = 'WINDOW_EXPIRED';
}

/** `apply --max-runtime` reached at a safe point: the state is saved, `apply` goes on from there (exit 75). */
export class MaxRuntimeReached extends AuroraMigrateError {
  readonly code = 'MAX_RUNTIME';
}
