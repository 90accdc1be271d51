// Reads a state document that came from somewhere other than the local file (S3) with the same
// checks as src/engine/state-file.ts: empty, not JSON, not an aurora-migrate state, a newer format or
// another plan's → StateConflict (exit 4), and the object is left as it is.
// (The checks mirror readState's; if state-file.ts ever exports its own text parser, use that.)
import { StateConflict } from '../errors.js';
import { STATE_VERSION, STEP_STATUSES, type StateFile, type StepState, type StepStatus } from '../engine/state-file.js';

/** `where`: how messages name the document, e.g. "the S3 state object s3://b/k". */
export function parseStateDocument(text: string, where: string, planName?: string): StateFile {
  const keep =
    `It was left untouched. If it is damaged, restore an earlier version (S3 versioning) or move it aside ` +
    `(a fresh state re-runs every step, and steps adopt what they already created).`;
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
        `Pass the matching plan, or use --state to pick another state location. It was left untouched.`,
    );
  }
  return state;
}

function shapeProblem(data: unknown): string | 'newer' | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const d = data as Record<string, unknown>;
  // Another tool's document first (a Terraform state has "version": 4 too): only something shaped
  // like ours can be "newer".
  if (typeof d.plan !== 'string') return 'no plan name';
  if (typeof d.runId !== 'string') return 'no runId';
  if (typeof d.version === 'number' && d.version > STATE_VERSION) return 'newer';
  if (d.version !== STATE_VERSION) return `version is ${JSON.stringify(d.version)}, expected ${STATE_VERSION}`;
  if (!d.steps || typeof d.steps !== 'object' || Array.isArray(d.steps)) return 'no steps';
  for (const [id, s] of Object.entries(d.steps as Record<string, unknown>)) {
    const step = s as Partial<StepState> | null;
    if (!step || typeof step !== 'object') return `step "${id}" is not an object`;
    if (!STEP_STATUSES.includes(step.status as StepStatus)) return `step "${id}" has unknown status ${JSON.stringify(step.status)}`;
    if (typeof step.hash !== 'string' || typeof step.attempts !== 'number') return `step "${id}" lacks hash or attempts`;
  }
  if (!Array.isArray(d.approvals)) return 'no approvals list';
  return undefined;
}
