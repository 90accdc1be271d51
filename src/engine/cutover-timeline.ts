// The cutover's timings for `status` (docs/design.md "Cutover", outputs): frozen at, caught up at (promote's
// marker, or logical-switchover's), switched over at (the logical route), promotion
// sent at, promoted at, switched at and the write downtime, from the state's window record and the
// outputs of the window's steps.
import type { StateFile } from './state-file.js';

export interface CutoverTimeline {
  status: 'open' | 'committed' | 'rolling-back' | 'rolled-back';
  openedBy: string;
  frozenAt: string;
  deadline: string;
  caughtUpAt?: string;
  /** The logical route: when logical-switchover finished (subscription disabled, roles checked). */
  switchedOverAt?: string;
  promotionSentAt?: string;
  promotedAt?: string;
  switchedAt?: string;
  /** From the freeze to the DNS change being INSYNC, e.g. "12.3s". */
  writeDowntime?: string;
  pointOfNoReturn?: { stepId: string; at: string; what: string };
  rolledBackAt?: string;
  reason?: string;
  /** Earlier windows of this state that were rolled back. */
  rolledBackBefore: number;
}

export function cutoverTimeline(
  plan: { steps: readonly { id: string; type: string }[] },
  state: StateFile | undefined,
): CutoverTimeline | undefined {
  const c = state?.cutover;
  if (!c) return undefined;
  const outputsOf = (type: string) => {
    const spec = plan.steps.find(
      (s) =>
        s.type === type &&
        plan.steps.findIndex((x) => x.id === s.id) > plan.steps.findIndex((x) => x.id === c.openedBy),
    );
    return (spec && state.steps[spec.id]?.outputs) || {};
  };
  const promote = outputsOf('promote');
  const switchover = outputsOf('logical-switchover');
  const sw = outputsOf('switch-endpoint');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const t: CutoverTimeline = {
    status: c.status,
    openedBy: c.openedBy,
    frozenAt: c.frozenAt,
    deadline: c.deadline,
    rolledBackBefore: c.history?.filter((h) => h.status === 'rolled-back').length ?? 0,
  };
  const set = <K extends keyof CutoverTimeline>(k: K, v: CutoverTimeline[K] | undefined) => {
    if (v !== undefined) t[k] = v;
  };
  if (c.status !== 'rolled-back') {
    set('caughtUpAt', str(promote.caughtUpAt) ?? str(switchover.caughtUpAt));
    set('switchedOverAt', str(switchover.switchedOverAt));
    set('promotionSentAt', str(promote.promotionSentAt));
    set('promotedAt', str(promote.promotedAt));
    set('switchedAt', str(sw.switchedAt));
    set('writeDowntime', str(sw.writeDowntime));
  }
  set('pointOfNoReturn', c.pointOfNoReturn);
  set('rolledBackAt', c.rolledBackAt);
  set('reason', c.reason);
  return t;
}
