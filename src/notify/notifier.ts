// The run's notifier: the engine calls one method per event (awaiting approval, step failed, plan
// finished, cutover window opened/closed). At most once per event across resumes: the event's key is
// recorded in the state and the state persisted BEFORE anything is sent; an event whose key is
// already there is never sent again. A crash between recording and sending loses that one message
// (at-most-once, by design: a duplicate "cutover window opened" at 02:00 is worse than a missing one).
// A failed send is a warning (run warnings, event log), never a failed step. Sends run in the
// background so a slow endpoint does not hold the run; the engine drains them before it returns.
import { hostname } from 'node:os';
import { resolveDeep } from '../plan/values.js';
import { defaultStatePath } from '../engine/state-file.js';
import { SILENT_NOTIFIER as SILENT, type NotifierDeps, type RunNotifier } from '../engine/run-notifier.js';
import { approvalRule, tallyApprovals } from '../plan/approval-rule.js';
import { buildMessage, notificationKey, shellArg, type NotifyEvent, type RunFacts } from './messages.js';
import { resolveTargets, type NotifyTarget } from '../plan/notify-targets.js';
import { sendTo } from './send.js';

export function createRunNotifier(deps: NotifierDeps): RunNotifier {
  const entries = deps.plan.notify ?? [];
  if (entries.length === 0) return SILENT;
  const { targets, warnings } = resolveTargets(entries, deps.env);
  for (const w of warnings) deps.warn(w);
  if (targets.length === 0) return SILENT;
  // Load and make the SNS client now, in the background: when an event comes, little lies between recording
  // it and sending it (a crash in that gap loses the message; it is never sent twice).
  const sns = targets.find((t) => t.kind === 'sns');
  if (sns) deps.aws.preload?.('sns', { region: sns.region }).catch(() => undefined);

  const run = (): RunFacts => ({
    plan: deps.plan.name,
    planFile: deps.plan.file,
    runId: deps.state.runId,
    state: deps.stateLocation,
    host: deps.host ?? hostname(),
  });
  const inFlight = new Set<Promise<void>>();
  const command = (extra: string) => `aurora-migrate apply ${shellArg(deps.plan.file)}${stateFlag(deps)}${extra}`;

  async function notify(event: NotifyEvent): Promise<void> {
    const key = notificationKey(deps.state.runId, event);
    deps.state.notifications ??= [];
    const records = deps.state.notifications;
    if (records.some((r) => r.key === key)) return; // decided on before (this run or one that crashed)
    const at = deps.nowIso();
    records.push({ key, event: event.kind, ...('stepId' in event ? { stepId: event.stepId } : {}), at });
    try {
      await deps.persist();
    } catch {
      // Not recorded, so not sent; the engine reports the failed state write itself.
      deps.warn(
        `notification "${event.kind}" not sent: the state could not be saved first (notifications are sent at most once)`,
      );
      return;
    }
    deps.log({ type: 'notification', key, event: event.kind, targets: targets.map((t) => t.label) });
    const message = deps.redact(buildMessage(run(), event, key, at));
    for (const target of targets) {
      const p = deliver(target, message, key, event.kind).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }

  async function deliver(
    target: NotifyTarget,
    message: ReturnType<typeof buildMessage>,
    key: string,
    kind: string,
  ): Promise<void> {
    const result = await sendTo(target, message, key, { aws: deps.aws, fetch: deps.fetch, timeoutMs: deps.timeoutMs });
    if (result.ok) {
      deps.log({
        type: 'notification-sent',
        key,
        target: target.label,
        ...(result.id ? { messageId: result.id } : {}),
      });
    } else {
      deps.log({ type: 'notification-failed', key, target: target.label, reason: result.reason });
      deps.warn(
        `notification "${kind}" to ${target.label} failed: ${result.reason}. The run goes on; it is not sent again.`,
      );
    }
  }

  return {
    awaitingApproval(stepId) {
      const spec = deps.plan.steps.find((s) => s.id === stepId) as
        | { message?: string; approvers?: string[]; required?: number }
        | undefined;
      const rule = approvalRule(spec ?? {});
      const tally = tallyApprovals(
        rule,
        deps.state.approvals.filter((a) => a.stepId === stepId && a.runId === deps.state.runId),
      );
      // The message as the gate shows it (${vars.…} and ${env.…} resolved; secrets are redacted on the way out).
      const message = resolveDeep(
        spec?.message ?? '',
        { vars: deps.plan.vars, env: deps.env, outputs: {} },
        'display',
      ).value;
      return notify({
        kind: 'awaiting-approval',
        stepId,
        message,
        tally,
        approveCommand: command(` --approve ${shellArg(stepId)}`),
      });
    },
    stepFailed: (stepId, attempt, error) =>
      notify({ kind: 'step-failed', stepId, attempt, error, resumeCommand: command('') }),
    planFinished: () =>
      notify({
        kind: 'plan-finished',
        steps: deps.plan.steps.length,
        finishedAt: deps.state.finishedAt ?? deps.nowIso(),
      }),
    cutoverWindowOpened: (stepId, info) => notify({ kind: 'cutover-window-opened', stepId, ...info }),
    cutoverWindowClosed: (stepId, how, detail) =>
      notify({ kind: 'cutover-window-closed', stepId, how, ...(detail ? { detail } : {}) }),
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** ` --state X` when the state is not where apply looks by default (so the command works as written, from the folder the run was started in). */
function stateFlag(deps: Pick<NotifierDeps, 'plan' | 'stateLocation' | 'cwd'>): string {
  const fromPlan = (deps.plan as { state?: { s3?: string } }).state?.s3;
  if (fromPlan && fromPlan === deps.stateLocation) return '';
  // The default state of a run started in some folder: the same command, run there, finds it.
  const tail = defaultStatePath(deps.plan.name, '/').slice(1);
  if (
    deps.stateLocation === defaultStatePath(deps.plan.name, deps.cwd ?? process.cwd()) ||
    deps.stateLocation.replace(/\\/g, '/').endsWith(`/${tail}`)
  )
    return '';
  return ` --state ${shellArg(deps.stateLocation)}`;
}
