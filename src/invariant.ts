// What the code knows and the type system cannot see: a value that an earlier step of the same
// flow has set (the open cutover window in the state, a checkpoint field written before the phase
// that reads it, the step a window was opened by). Said with `present(value, what)` rather than
// `value!`: a wrong claim then stops here with a message that names the value, instead of carrying
// `undefined` on into a state file, a message or an AWS call.

/** `value`, or a thrown bug report naming `what` when it is missing. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) {
    throw new Error(`bug: ${what} is missing; please report it at the aurora-migrate issue tracker`);
  }
  return value;
}
