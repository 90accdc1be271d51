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
  constructor(
    message: string,
    readonly diagnostics: readonly unknown[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command line is wrong (unknown step id for --approve, bad --format, ...). */
export class UsageError extends AuroraMigrateError {
  readonly code = 'USAGE';
}

/** How a step failure reads beyond what happened: what to do next, how the step ended, the original error. */
export interface StepFailureParts {
  /** What to do next, as whole sentences: "Wait for it, then run aurora-migrate apply again." */
  remedy?: string;
  /** How the step ended when "failed:" says too little, read before `what`: "refused to promote cluster c:", "timed out after 5m". */
  outcome?: string;
  cause?: unknown;
}

/**
 * A step failed; the run can be resumed after the cause is fixed. The message is built here, once:
 * `step "<id>" <outcome> <what>. <remedy>` (outcome defaults to "failed:"). `what` says what happened
 * without naming the step, so messages that quote a failure inside another can use it as it is.
 */
export class StepFailed extends AuroraMigrateError {
  readonly code = 'STEP_FAILED';
  readonly remedy?: string;
  constructor(
    readonly stepId: string,
    readonly what: string,
    parts: StepFailureParts = {},
  ) {
    super(stepFailureMessage(stepId, what, parts), parts.cause === undefined ? undefined : { cause: parts.cause });
    if (parts.remedy) this.remedy = parts.remedy;
  }
}

/** `step "promote" failed: cluster c is in state "modifying". Wait …` — what happened, then the remedy as its own sentence. */
export function stepFailureMessage(
  stepId: string,
  what: string,
  parts: Pick<StepFailureParts, 'remedy' | 'outcome'> = {},
): string {
  return withRemedy(`step "${stepId}" ${parts.outcome ?? 'failed:'} ${what}`, parts.remedy);
}

/** What a failure says without naming the step (a StepFailed's what and remedy; any other error's message), to quote it in another. */
export function failureText(err: unknown): string {
  if (err instanceof StepFailed) return withRemedy(err.what, err.remedy);
  return err instanceof Error ? err.message : String(err);
}

const withRemedy = (text: string, remedy: string | undefined): string =>
  remedy ? `${/[.!?]$/.test(text) ? text : `${text}.`} ${remedy}` : text;

/** A preflight check failed (plan --preflight, or a step's own checks before it acts). */
export class PreflightFailed extends AuroraMigrateError {
  readonly code = 'PREFLIGHT_FAILED';
}

/** Paused at an approval step nobody approved. */
export class AwaitingApproval extends AuroraMigrateError {
  readonly code = 'AWAITING_APPROVAL';
  constructor(
    readonly stepId: string,
    message: string,
  ) {
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
