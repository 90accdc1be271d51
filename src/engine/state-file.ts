// The state file (docs/design.md "State, resume, locking"): what a run has done, step by step. Read here
// for `apply`, `status` and `plan`; written only through writeState (atomic). A file that cannot be
// trusted — corrupt, truncated, another plan's, or a newer format — is reported, never overwritten.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { StateConflict } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export const STATE_VERSION = 1;

/** `rolled-back`: a freeze-writes step whose freeze the engine undid (a cutover rollback); it runs again next time. */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'awaiting-approval' | 'rolled-back';
export const STEP_STATUSES: readonly StepStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'awaiting-approval',
  'rolled-back',
];

export interface StepError {
  code: string;
  message: string;
}

export interface StepState {
  type: string;
  /** Content hash of the step's definition when it last started (see hash.ts). */
  hash: string;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  outputs?: Record<string, unknown>;
  /** What the step recorded it has already done; handed back to it on resume. */
  checkpoint?: Record<string, unknown>;
  error?: StepError;
  warnings: string[];
  /** The step's last progress line and when it was reported (status and the fleet table show it). */
  progress?: { detail: string; at: string };
}

export interface ApprovalRecord {
  stepId: string;
  approvedBy: string;
  approvedAt: string;
  /** How: `--approve` on the command line, or a yes at the TTY prompt. */
  via: 'flag' | 'prompt';
  runId: string;
  /** Where `approvedBy` came from (absent in state files written before named approvers). */
  source?: ApproverSource;
  /** Host the approval was given on. */
  host?: string;
  /** The GitHub Actions run it was given in, when it was. */
  ciRun?: string;
}

/** Which identity an approval was recorded under (see src/engine/approval-gate.ts). */
export type { ApproverSource } from '../plan/approval-rule.js';
import type { ApproverSource } from '../plan/approval-rule.js';

/** A notification the run decided to send; recorded (persisted) before it is sent: at most once. */
export interface NotificationRecord {
  /** run id + event + step + attempt/progress: the same event never gets a second record. */
  key: string;
  event: string;
  stepId?: string;
  at: string;
}

/** The cutover window (docs/cutover.md): opened by freeze-writes, closed at the point of no return or a rollback. */
export interface CutoverRecord {
  /** The freeze-writes step that opened it. */
  openedBy: string;
  runId: string;
  openedAt: string;
  frozenAt: string;
  deadline: string;
  /** open: frozen, nothing irreversible sent; committed: past the point of no return; rolling-back: undo not yet done. */
  status: 'open' | 'committed' | 'rolling-back' | 'rolled-back';
  pointOfNoReturn?: { stepId: string; at: string; what: string };
  /** Why it was rolled back (the failure, the interrupt, or the deadline). */
  reason?: string;
  rolledBackAt?: string;
  /** Windows of earlier attempts that were rolled back, oldest first. */
  history?: Array<Omit<CutoverRecord, 'history'>>;
}

export interface StateFile {
  version: typeof STATE_VERSION;
  plan: string;
  /** Stable across resumes; a new one starts when the plan had finished and there is work again. */
  runId: string;
  createdAt: string;
  updatedAt: string;
  /** Set when the last step of the plan succeeded. */
  finishedAt?: string;
  /** Keyed by step id, in plan order. */
  steps: Record<string, StepState>;
  approvals: ApprovalRecord[];
  /** Notifications already decided on (src/notify); absent until the first one. */
  notifications?: NotificationRecord[];
  /** The current (or last) cutover window, when the plan has a freeze-writes step that ran. */
  cutover?: CutoverRecord;
}

export type ReadStateResult = { exists: false } | { exists: true; state: StateFile };

/** `--state PATH`, or `.aurora-migrate/<plan name>.state.json` under cwd. */
export function defaultStatePath(planName: string, cwd: string, override?: string): string {
  if (override) return isAbsolute(override) ? override : resolve(cwd, override);
  return join(cwd, '.aurora-migrate', `${planName}.state.json`);
}

export function eventLogPath(statePath: string): string {
  return `${statePath}.events.jsonl`;
}

/**
 * Reads and checks a state file. Missing → `{exists:false}`. Anything unusable throws StateConflict
 * (exit 4) saying what is wrong and what to do. `planName` (when given) must match.
 */
export async function readState(path: string, planName?: string): Promise<ReadStateResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false };
    throw new StateConflict(`cannot read the state file ${path}: ${(err as Error).message}. Check its permissions.`, {
      cause: err,
    });
  }
  return { exists: true, state: parseStateText(text, `the state file ${path}`, planName, 'restore it from a backup') };
}

/**
 * Checks a state document's text, wherever it came from (`where` names it in messages, e.g. "the state
 * file /x" or "the S3 state object s3://b/k"; `restoreHint` says how to get an earlier copy). Empty,
 * not JSON, not ours, a newer format or another plan's → StateConflict (exit 4); nothing is changed.
 */
export function parseStateText(
  text: string,
  where: string,
  planName: string | undefined,
  restoreHint: string,
): StateFile {
  const keep = `It was left untouched. If it is damaged, ${restoreHint} or move it aside (a fresh state file re-runs every step, and steps adopt what they already created).`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const what = text.trim() === '' ? 'is empty' : 'is not valid JSON (corrupt or truncated)';
    throw new StateConflict(`${where} ${what}. ${keep}`, { cause: err });
  }
  const problem = shapeProblem(data);
  if (problem === 'newer') {
    const v = (data as { version: unknown }).version;
    throw new StateConflict(
      `${where} has format version ${JSON.stringify(v)}, newer than this aurora-migrate understands (${STATE_VERSION}). ` +
        `Upgrade aurora-migrate to the version that wrote it. It was left untouched.`,
    );
  }
  if (problem) throw new StateConflict(`${where} is not an aurora-migrate state file (${problem}). ${keep}`);
  const state = data as StateFile;
  if (planName !== undefined && state.plan !== planName) {
    throw new StateConflict(
      `${where} belongs to plan "${state.plan}", not "${planName}". ` +
        `Pass the matching plan, or use --state to pick another state file. It was left untouched.`,
    );
  }
  return state;
}

function shapeProblem(data: unknown): string | 'newer' | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const d = data as Record<string, unknown>;
  // Another tool's document first (a Terraform state has "version": 4 too): only something with our
  // plan name can be "newer".
  if (typeof d.plan !== 'string') return 'no plan name';
  if (typeof d.version === 'number' && d.version > STATE_VERSION) return 'newer';
  if (d.version !== STATE_VERSION) return `version is ${JSON.stringify(d.version)}, expected ${STATE_VERSION}`;
  if (typeof d.runId !== 'string') return 'no runId';
  if (!d.steps || typeof d.steps !== 'object' || Array.isArray(d.steps)) return 'no steps';
  for (const [id, s] of Object.entries(d.steps as Record<string, unknown>)) {
    const step = s as Partial<StepState> | null;
    if (!step || typeof step !== 'object') return `step "${id}" is not an object`;
    if (!STEP_STATUSES.includes(step.status as StepStatus))
      return `step "${id}" has unknown status ${JSON.stringify(step.status)}`;
    if (typeof step.hash !== 'string' || typeof step.attempts !== 'number')
      return `step "${id}" lacks hash or attempts`;
  }
  if (!Array.isArray(d.approvals)) return 'no approvals list';
  return undefined;
}

/** Writes the whole state atomically (temp + fsync + rename + fsync folder). Caller redacts first. */
export async function writeState(path: string, state: StateFile): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(state, null, 2) + '\n');
}
