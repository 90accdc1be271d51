// The notifier of one apply invocation, made from its RunSession (once, at run start, so setup
// warnings such as an unset webhook variable show up front). The engine's hooks call
// notifierFor(session).<event>(…): one call per event, nothing else to wire.
import { warn, type RunSession } from '../engine/run-session.js';
import { redact } from '../plan/values.js';
import { createRunNotifier, type RunNotifier } from './notifier.js';

const notifiers = new WeakMap<RunSession, RunNotifier>();

export function notifierFor(session: RunSession): RunNotifier {
  let n = notifiers.get(session);
  if (!n) {
    n = createRunNotifier({
      plan: session.plan,
      state: session.st,
      persist: () => session.persist(),
      stateLocation: session.storage.location,
      env: session.options.env,
      aws: session.deps.aws,
      warn: (message) => warn(session, message),
      log: (record) => session.log.append(record),
      redact: (value) => redact(value, session.secretList()),
      nowIso: () => session.iso(),
    });
    notifiers.set(session, n);
  }
  return n;
}
