// Rules of a logical-switchover step the schema cannot express (docs/routes/logical.md): it runs
// inside the cutover window, so a freeze-writes step must come before it and freeze its source
// database — the marker is only a proof when nothing else writes there. (A later reverse-replication
// step: plan/reverse-pairing.ts.)
import { POINT_OF_NO_RETURN_TYPES } from './cutover-steps.js';
import { isLiteral, isRecord, type Report } from './semantic-problem.js';

/** `steps[index]` is a logical-switchover; `freezeAt` the plan's freeze-writes step before it, if any. */
export function checkLogicalSwitchover(
  steps: readonly unknown[],
  index: number,
  freezeAt: number | undefined,
  report: Report,
): void {
  const step = steps[index] as Record<string, unknown>;
  const at = `/steps/${index}`;
  const freeze = freezeAt === undefined ? undefined : { index: freezeAt, step: steps[freezeAt] };
  const crossed =
    freezeAt === undefined
      ? -1
      : steps
          .slice(freezeAt + 1, index)
          .findIndex((s) => isRecord(s) && typeof s.type === 'string' && POINT_OF_NO_RETURN_TYPES.has(s.type));
  if (freezeAt !== undefined && crossed >= 0) {
    const pnrAt = freezeAt + 1 + crossed;
    const pnr = steps[pnrAt] as Record<string, unknown>;
    report(
      `${at}/type`,
      `a logical-switchover must come before the cutover's point of no return, but ${String(pnr.type)} (steps[${pnrAt}]) is before it: move it right after the freeze-writes step`,
    );
  }
  if (!freeze) {
    report(
      `${at}/type`,
      'a logical-switchover runs inside the cutover window: put a freeze-writes step (of the source database) before it, or the marker proves nothing while the application still writes',
    );
  } else if (isRecord(freeze.step) && Array.isArray(freeze.step.databases) && isRecord(step.source)) {
    const db = step.source.database;
    const frozen = freeze.step.databases.filter((d): d is string => typeof d === 'string');
    if (isLiteral(db) && frozen.every(isLiteral) && !frozen.includes(db)) {
      report(
        `${at}/source/database`,
        `database "${db}" is not among the databases freeze-writes (steps[${freeze.index}]) freezes (${frozen.join(', ')}): the application could still write there after the marker`,
      );
    }
  }
  if (isRecord(step.rolePasswords) && Array.isArray(step.rolesReady)) {
    for (const r of step.rolesReady)
      if (typeof r === 'string' && r in step.rolePasswords)
        report(`${at}/rolesReady`, `role "${r}" is in both rolePasswords and rolesReady; keep it in one`, {
          target: 'key',
        });
  }
}
