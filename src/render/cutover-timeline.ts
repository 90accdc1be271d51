// The cutover timeline of `status` as text lines (the data: src/engine/cutover-timeline.ts).
import type { CutoverTimeline } from '../engine/cutover-timeline.js';

export type { CutoverTimeline } from '../engine/cutover-timeline.js';

export function cutoverTimelineLines(t: CutoverTimeline): string[] {
  const state = {
    open: 'open: writes frozen on the source, nothing irreversible sent yet',
    committed: 'past the point of no return: the plan only goes forward',
    'rolling-back': 'rollback NOT finished: the source may still be frozen; run apply again to finish it',
    'rolled-back': 'rolled back: writes are back on the source',
  }[t.status];
  const lines = [`cutover window (${t.openedBy}): ${state}`];
  const row = (label: string, v?: string) => v && lines.push(`  ${label.padEnd(19)}${v}`);
  row('frozen at', t.frozenAt);
  row('deadline', t.deadline);
  row('caught up at', t.caughtUpAt);
  row('switched over at', t.switchedOverAt);
  row('promotion sent at', t.promotionSentAt);
  row('promoted at', t.promotedAt);
  row('switched at', t.switchedAt);
  row('write downtime', t.writeDowntime);
  if (t.pointOfNoReturn)
    row('point of no return', `${t.pointOfNoReturn.what} at ${t.pointOfNoReturn.at} (${t.pointOfNoReturn.stepId})`);
  row('rolled back at', t.rolledBackAt);
  row('reason', t.reason);
  if (t.rolledBackBefore) row('earlier attempts', `${t.rolledBackBefore} rolled back`);
  return lines;
}
