// A reverse-replication step and the logical-switchover it follows (docs/routes/logical.md "The
// fallback"). The contract says the switchover creates the reverse publication and slot "when the
// plan has a reverse-replication step", so a plan written from it says so by having the step, not by
// a flag: the plan layer pairs the two and fills in what each needs from the other —
// `reversePublication: true` on the switchover (unless the plan says otherwise), and on the
// reverse-replication step the forward `subscription` and the switchover's `reverseSlot` output.
// Validation refuses a reverse-replication without a switchover before it, or without the switch
// (switch-endpoint) between them: subscribing the old source before the switch would replicate the
// target's writes back while the old source is still the one the application may fall back on.
import { isRecord, type Report } from './semantic-problem.js';

type StepLike = Record<string, unknown>;

/** Index of the logical-switchover a reverse-replication at `index` pairs with: the last one before it for the same subscription (or the last one). */
export function pairedSwitchover(steps: readonly unknown[], index: number): number | undefined {
  const rr = steps[index] as StepLike;
  for (let i = index - 1; i >= 0; i--) {
    const s = steps[i];
    if (!isRecord(s) || s.type !== 'logical-switchover') continue;
    if (typeof rr.subscription === 'string' && typeof s.subscription === 'string' && rr.subscription !== s.subscription)
      continue;
    return i;
  }
  return undefined;
}

/** Does a reverse-replication step later in the plan pair with the logical-switchover at `index`? */
export function hasReverseReplication(steps: readonly unknown[], index: number): boolean {
  return steps.some(
    (s, i) => i > index && isRecord(s) && s.type === 'reverse-replication' && pairedSwitchover(steps, i) === index,
  );
}

/** validate: the rules of a reverse-replication step at `index`. */
export function checkReverseReplication(steps: readonly unknown[], index: number, report: Report): void {
  const at = `/steps/${index}`;
  const step = steps[index] as StepLike;
  const sw = pairedSwitchover(steps, index);
  if (sw === undefined) {
    const anySwitchover = steps.slice(0, index).some((s) => isRecord(s) && s.type === 'logical-switchover');
    report(
      `${at}/type`,
      anySwitchover
        ? `no logical-switchover before this step replicates subscription "${String(step.subscription)}": give the subscription of the switchover it follows (or leave "subscription" out)`
        : 'a reverse-replication subscribes the old source to the reverse slot a logical-switchover creates: put it after the logical-switchover and the switch-endpoint of the same plan',
    );
    return;
  }
  const between = steps.slice(sw + 1, index).findIndex((s) => isRecord(s) && s.type === 'switch-endpoint');
  if (between < 0) {
    report(
      `${at}/type`,
      `a reverse-replication runs after the switch: put a switch-endpoint between the logical-switchover (steps[${sw}]) and this step. Before the switch the application still writes on the old source, and dropping the forward subscription would lose the way back to the target`,
    );
  }
  const switchover = steps[sw] as StepLike;
  if (switchover.reversePublication === false) {
    report(
      `/steps/${sw}/reversePublication`,
      `a reverse-replication step (steps[${index}]) follows and needs the reverse publication and slot this switchover creates: remove "reversePublication: false"`,
    );
  }
}

/**
 * The loaded plan's steps with each pairing filled in (pure; a step that already says is kept as
 * it is): the switchover's `reversePublication: true`, the reverse-replication's `subscription`
 * (the switchover's) and `reverseSlot` (`${steps.<switchover>.outputs.reverseSlot}`).
 */
export function resolveReversePairing<S>(steps: readonly S[]): S[] {
  const out = steps.map((s) => (isRecord(s) ? ({ ...s } as S) : s));
  steps.forEach((s, i) => {
    if (!isRecord(s) || s.type !== 'reverse-replication') return;
    const sw = pairedSwitchover(steps, i);
    if (sw === undefined) return;
    const switchover = out[sw] as StepLike;
    const rr = out[i] as StepLike;
    if (switchover.reversePublication === undefined) switchover.reversePublication = true;
    if (rr.subscription === undefined) rr.subscription = switchover.subscription;
    if (rr.reverseSlot === undefined) rr.reverseSlot = `\${steps.${String(switchover.id)}.outputs.reverseSlot}`;
  });
  return out;
}
