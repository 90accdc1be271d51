// Checks that must pass before `apply` changes anything (docs/routes/logical.md): the read-only
// preflight of every step that asks for it (preflightBeforeApply) and has not started yet runs at the
// start of the run, before the first step that is still to run — so a refusal comes before an earlier
// step reboots the source or creates a cluster. A failed check stops the run (exit 2) with nothing
// done; warnings are shown and the run goes on.
import { runPreflight } from '../preflight/run-preflight.js';
import type { RunEnding, RunSession } from './run-session.js';
import { warn } from './run-session.js';
import { present } from '../invariant.js';

export async function preflightBeforeApply(session: RunSession): Promise<RunEnding | undefined> {
  const { plan, st, deps, options, controller } = session;
  const ids = plan.steps
    .filter((s) => deps.registry[s.type]?.preflightBeforeApply && st.steps[s.id].status === 'pending')
    .map((s) => s.id);
  if (ids.length === 0) return undefined;
  const report = await runPreflight(plan, {
    aws: deps.aws,
    db: deps.db,
    signal: controller.signal,
    region: options.region ?? plan.region,
    env: options.env,
    registry: deps.registry,
    clock: session.clock,
    only: (id) => ids.includes(id),
    outputs: session.outputsScope(),
  });
  for (const step of report.steps)
    for (const c of step.checks.filter((x) => x.status === 'warn'))
      warn(session, `preflight of step "${step.stepId}": ${c.check}: ${c.detail}`);
  if (!report.failed) return undefined;
  const failed = report.steps.flatMap((s) =>
    s.checks.filter((c) => c.status === 'fail').map((c) => `step "${s.stepId}": ${c.check}: ${c.detail}`),
  );
  const stepId = present(
    report.steps.find((s) => s.checks.some((c) => c.status === 'fail')),
    'the step whose preflight failed',
  ).stepId;
  session.log.append({ type: 'preflight-refused', stepId, failed });
  return {
    outcome: 'failed',
    failed: {
      stepId,
      error: {
        code: 'PREFLIGHT_FAILED',
        message: `nothing was changed: a check that must pass before apply starts failed — ${failed.join('; ')}. Fix it (plan --preflight shows every check), then run apply again.`,
      },
    },
  };
}
