// Dry-run: a pure function from (plan, environment, what the state file knows) to the review of what
// `apply` would do — each step's planned actions with values resolved for display (outputs not known
// yet as placeholders, secrets as ***), and the ${env.…} values that are not set now.
import type { DescribeEnv, PlannedAction, StepRegistry } from '../steps/step.js';
import { parseDuration } from '../plan/units.js';
import { redact, resolveDeep, secretEnvValues, type ValueScope } from '../plan/values.js';
import type { FreezeWritesSpec, Plan, StepSpec } from '../plan/types.js';
import { cutoverSteps, windowConnectionUsers, type CutoverSteps } from '../plan/cutover-steps.js';

export interface KnownStep {
  status?: string;
  outputs?: Readonly<Record<string, unknown>>;
}

export interface DryRunInput {
  plan: Plan;
  env: Readonly<Record<string, string | undefined>>;
  /** --region, else the plan's region. */
  region?: string;
  /** Per step id, from the state file when there is one. */
  known?: Readonly<Record<string, KnownStep | undefined>>;
  registry: StepRegistry;
}

export interface ReviewStep {
  id: string;
  type: string;
  description?: string;
  status?: string;
  actions: PlannedAction[];
  /** describe() failed for this step (a bug in the step type; the review goes on). */
  error?: string;
}

export interface UnresolvedValue {
  /** e.g. ${env.PGPASSWORD} */
  ref: string;
  /** Ids of the steps that use it. */
  steps: string[];
}

/** The cutover window as one block for reviewers (docs/cutover.md). */
export interface CutoverReview {
  freezeStep: string;
  /** The window as written in the plan (default 5m) and the drain inside it. */
  window: string;
  drainTimeout: string;
  databases: string[];
  /** Steps inside the window before the point of no return, the freeze first. */
  inside: string[];
  pointOfNoReturn?: { stepId: string; what: string };
  /** What happens on a failure, an interrupt or the deadline before the point of no return, and after it. */
  rules: string[];
}

export interface PlanReview {
  plan: { name: string; file: string; description?: string; region?: string; steps: number; notify?: string[] };
  steps: ReviewStep[];
  /** Present when the plan has a freeze-writes step. */
  cutover?: CutoverReview;
  /** ${env.…} values not set in the environment now (apply will need them). */
  unresolved: UnresolvedValue[];
}

export function dryRun(input: DryRunInput): PlanReview {
  const { plan, env, known = {}, registry } = input;
  const region = input.region ?? plan.region;
  const outputs: Record<string, Readonly<Record<string, unknown>> | undefined> = {};
  for (const [id, k] of Object.entries(known)) if (k?.outputs) outputs[id] = k.outputs;
  const scope: ValueScope = { vars: plan.vars, env, outputs };

  const window = cutoverSteps(plan);
  const order = plan.steps.map((s) => s.id);
  const freezeSpec = window && (plan.steps.find((s) => s.id === window.freeze) as FreezeWritesSpec);
  const windowMs = (freezeSpec?.window ? parseDuration(freezeSpec.window) : undefined) ?? 5 * 60_000;
  const cutoverRole = (id: string): Pick<DescribeEnv, 'cutover'> => {
    if (!window || order.indexOf(id) <= order.indexOf(window.freeze)) return {};
    const role = window.inside.includes(id)
      ? 'inside'
      : window.pointOfNoReturn?.stepId === id
        ? 'point-of-no-return'
        : 'after';
    return { cutover: { freezeStepId: window.freeze, role, windowMs } };
  };
  const unresolved = new Map<string, Set<string>>();
  const steps: ReviewStep[] = plan.steps.map((raw: StepSpec) => {
    const status = known[raw.id]?.status;
    const resolution = resolveDeep(raw, scope, 'display');
    for (const ref of resolution.unresolved) {
      for (const m of ref.matchAll(/\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}/g)) {
        const ids = unresolved.get(m[0]) ?? new Set<string>();
        ids.add(raw.id);
        unresolved.set(m[0], ids);
      }
    }
    const base: ReviewStep = {
      id: raw.id,
      type: raw.type,
      ...(raw.description !== undefined ? { description: raw.description } : {}),
      ...(status !== undefined ? { status } : {}),
      actions: [],
    };
    const module = registry[raw.type];
    if (!module) return { ...base, error: `no step module registered for type "${raw.type}"` };
    // Every secret value met anywhere in the plan is masked in every step's actions.
    const secrets = [...resolution.secrets, ...secretEnvValues(plan, env)];
    try {
      const users = window?.freeze === raw.id ? { windowUsers: windowUsersForReview(plan, scope) } : {};
      const actions = module.describe(resolution.value, {
        planName: plan.name,
        stepId: raw.id,
        region,
        ...cutoverRole(raw.id),
        ...users,
      });
      return { ...base, actions: redact(structuredCloneSafe(actions), secrets) };
    } catch (err) {
      const message = redact(String((err as Error)?.message ?? err), secrets);
      return { ...base, error: `describe() failed: ${message}` };
    }
  });

  return {
    plan: {
      name: plan.name,
      file: plan.file,
      ...(plan.description !== undefined ? { description: plan.description } : {}),
      ...(region ? { region } : {}),
      steps: plan.steps.length,
      ...(plan.notify?.length ? { notify: [...plan.notify] } : {}),
    },
    steps,
    ...(window ? { cutover: cutoverReview(plan, window) } : {}),
    unresolved: [...unresolved].map(([ref, ids]) => ({ ref, steps: [...ids] })),
  };
}

function cutoverReview(plan: Plan, window: CutoverSteps): CutoverReview {
  const freeze = plan.steps.find((s) => s.id === window.freeze) as FreezeWritesSpec;
  const windowText = freeze.window ?? '5m';
  const fence = freeze.fence ?? 'connections';
  const rules = [
    fence === 'connections'
      ? `the fence: CONNECT on ${freeze.databases.join(', ')} is taken from every role but the kept ones (the users of the plan's connections from the freeze on, rdsadmin, rdsrepladmin${freeze.allowRoles?.length ? `, ${freeze.allowRoles.join(', ')}` : ''}) and read back; the databases' owners and kept roles can still connect, and reads stop too during the window`
      : 'fence: read-only is cooperative only: it does NOT stop an application that opens its transactions READ WRITE or sets default_transaction_read_only = off; such writes during the window are not on the target',
    `before the point of no return: a failure, an interrupt (Ctrl-C) or the deadline (${windowText} after the freeze) ${undoneFirst(plan, window)}undoes the freeze: each database's previous default_transaction_read_only${fence === 'connections' ? ' and CONNECT privileges come' : ' comes'} back, writes resume on the source, nothing is promoted; apply exits 2 (130 when interrupted)`,
    fence === 'connections'
      ? "right before the point of no return, the last check: no session of a role that lost CONNECT, none of a kept role other than the tool's own, and no write transaction on the frozen databases — otherwise roll back, naming user, application_name and client address"
      : 'right before the point of no return, the last check: no write transaction open on the frozen databases — otherwise roll back',
    window.pointOfNoReturn
      ? `the point of no return is step "${window.pointOfNoReturn.stepId}": ${window.pointOfNoReturn.what}; from there the plan only goes forward (a failure stops the run with the source still frozen and says where things stand; apply resumes forward)`
      : 'the plan has no promote or switch-endpoint step after the freeze: it never crosses a point of no return, so every run ends rolled back or frozen; add the promote step',
    'a resume after a crash follows the same rules: still inside the window → go on; deadline passed → roll back; past the point of no return → forward',
  ];
  return {
    freezeStep: window.freeze,
    window: windowText,
    drainTimeout: freeze.drainTimeout ?? '30s',
    databases: [...freeze.databases],
    inside: window.inside,
    ...(window.pointOfNoReturn
      ? { pointOfNoReturn: { stepId: window.pointOfNoReturn.stepId, what: window.pointOfNoReturn.what } }
      : {}),
    rules,
  };
}

/** The window's steps a rollback takes back before the freeze (newest first), as the review says it. */
function undoneFirst(plan: Plan, window: CutoverSteps): string {
  const switchovers = plan.steps
    .filter((s) => s.type === 'logical-switchover' && window.inside.includes(s.id))
    .reverse();
  if (!switchovers.length) return '';
  const reverse = switchovers.some((s) => (s as { reversePublication?: boolean }).reversePublication === true);
  return `first takes back ${switchovers.map((s) => `"${s.id}"`).join(', ')} (${reverse ? 'the reverse slot and publication dropped, ' : ''}the subscription enabled again), then `;
}

/** The users of the connections from the freeze on, as the review can show them (placeholders for values not known). */
function windowUsersForReview(plan: Plan, scope: ValueScope): string[] {
  return [...new Set(windowConnectionUsers(plan).map((u) => String(resolveDeep(u.user, scope, 'display').value)))];
}

/** Actions are plain data; copy them so rendering can never mutate a step module's constants. */
function structuredCloneSafe(actions: PlannedAction[]): PlannedAction[] {
  try {
    return structuredClone(actions);
  } catch {
    return JSON.parse(JSON.stringify(actions)) as PlannedAction[];
  }
}
