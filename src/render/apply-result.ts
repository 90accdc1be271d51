// The end of `apply`: a summary table of every step (stdout), and what to do next. With
// `--format json` the ApplyResult itself is the one document on stdout.
import type { ApplyResult } from '../engine/result.js';
import { durationBetween, formatOutputs, pad, painter, statusWord } from './status-format.js';
import { present } from '../invariant.js';

export interface RenderedApplyResult {
  /** For stdout. */
  stdout: string;
  /** For stderr: the reason the run stopped and the command that continues it. */
  stderr: string;
}

export function renderApplyResult(
  result: ApplyResult,
  options: { color: boolean; planArg: string; continueWith?: string },
): RenderedApplyResult {
  const paint = painter(options.color);
  const idWidth = Math.max(...result.steps.map((s) => s.id.length), 4) + 2;
  const lines: string[] = [];
  lines.push(`${paint('bold', `plan ${result.plan}`)} (run ${result.runId.slice(0, 8)}):`);
  for (const s of result.steps) {
    const took = durationBetween(s.startedAt, s.finishedAt);
    const attempts = s.attempts > 1 ? `, ${s.attempts} attempts` : '';
    const extra = s.status === 'succeeded' ? formatOutputs(s.outputs) : '';
    lines.push(
      `  ${pad(s.id, idWidth)}${pad(statusWord(s.status, paint), 19)}${took || attempts ? `(${[took, attempts.slice(2)].filter(Boolean).join(', ')}) ` : ''}${extra}`.trimEnd(),
    );
  }
  const again = `aurora-migrate apply ${options.planArg}`;
  let tail = '';
  let err = '';
  switch (result.outcome) {
    case 'succeeded':
      tail = `${paint('green', 'done')}: every step succeeded.`;
      break;
    case 'until':
      tail = `stopped after "${result.until}" (--until). Run ${again} to continue.`;
      break;
    case 'awaiting-approval': {
      const a = present(result.awaitingApproval, 'the approval an awaiting-approval run waits for');
      err =
        `paused: step "${a.stepId}" needs approval: ${a.message}\n` +
        `To approve and continue, run: ${again} --approve ${a.stepId}\n`;
      break;
    }
    case 'failed': {
      const f = present(result.failed, `the failure of a ${result.outcome} run`);
      err = `error: ${f.error.message}\nThe state is saved. Fix the cause, then run ${again} to resume.\n`;
      break;
    }
    case 'interrupted':
      err =
        result.cutover?.status === 'rolled-back'
          ? `interrupted inside the cutover window: ${result.failed?.error.message ?? 'rolled back: writes are back on the source and nothing was promoted.'}\n`
          : `interrupted: the state is saved; run ${again} to resume.\n`;
      break;
    case 'max-runtime': {
      const running = result.steps.filter((s) => s.status === 'running').map((s) => `"${s.id}"`);
      err =
        `still in progress: ${result.maxRuntime?.stoppedAt ? `--max-runtime ${result.maxRuntime.limit} reached ${result.maxRuntime.stoppedAt}` : `--max-runtime ${result.maxRuntime?.limit ?? ''} reached`}. ` +
        `The state is saved at a safe point and the lock released${running.length ? `; step ${running.join(', ')} stays running and picks up where it was` : ''}.\n` +
        `To go on, run: ${options.continueWith ?? again}\n`;
      break;
    }
    case 'rolled-back': {
      const f = present(result.failed, `the failure of a ${result.outcome} run`);
      err = `error: ${f.error.message}\nTo try the cutover again once the cause is fixed, run: ${again}\n`;
      break;
    }
  }
  if (result.cutover) lines.push(...cutoverLines(result.cutover));
  const warnings = result.steps.flatMap((s) => s.warnings.map((w) => `  ${s.id}: ${w}`));
  if (warnings.length) lines.push(paint('yellow', 'warnings:'), ...warnings);
  if (tail) lines.push(tail);
  return { stdout: lines.join('\n') + '\n', stderr: err };
}

/** The window in the summary: when it opened, where it stands, the point of no return or the rollback. */
function cutoverLines(c: NonNullable<ApplyResult['cutover']>): string[] {
  const lines = [`cutover window (${c.openedBy}): frozen at ${c.frozenAt}, deadline ${c.deadline}`];
  if (c.status === 'open') lines.push('  open: writes are frozen on the source and nothing irreversible was sent yet');
  if (c.pointOfNoReturn)
    lines.push(
      `  point of no return: ${c.pointOfNoReturn.what} at ${c.pointOfNoReturn.at} (step ${c.pointOfNoReturn.stepId}); the plan only goes forward`,
    );
  if (c.status === 'rolled-back') lines.push(`  rolled back at ${c.rolledBackAt}: ${c.reason}`);
  if (c.status === 'rolling-back')
    lines.push(`  rollback NOT finished (${c.reason}): the source may still be frozen; run apply again to retry it`);
  return lines;
}
