// Where notifications go (docs/design.md "Approvers and notifications"): the plan's `notify:` entries are
// SNS topic ARNs, or exactly `${env.NAME}` naming a variable that holds a webhook URL. A URL may carry
// a token, so a literal one in a plan file (which ends up in git) is refused like a literal secret.
// Pure functions: the plan's semantic checks and the notifier both use them.

export type NotifyTarget =
  | { kind: 'sns'; topicArn: string; region: string; fifo: boolean; label: string }
  | { kind: 'webhook'; url: string; label: string };

const SNS_ARN = /^arn:aws(?:-[a-z]+)*:sns:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;
const ENV_REF = /^\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What a plan's notify entry is, or why it cannot be one (the message never repeats the value). */
export function classifyNotifyEntry(
  entry: string,
): { kind: 'sns'; region: string; fifo: boolean } | { kind: 'env'; name: string } | { problem: string } {
  const sns = SNS_ARN.exec(entry);
  if (sns) return { kind: 'sns', region: sns[1], fifo: sns[3].endsWith('.fifo') };
  const env = ENV_REF.exec(entry);
  if (env) return { kind: 'env', name: env[1] };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry.trim())) {
    return {
      problem:
        'a webhook URL may carry a token and a plan file ends up in git: put the URL in an environment variable and write ${env.NAME} (e.g. ${env.MIGRATION_WEBHOOK_URL})',
    };
  }
  if (entry.startsWith('arn:') && entry.includes(':sns:')) {
    return {
      problem: 'is not a valid SNS topic ARN; write arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME (a 12-digit account id)',
    };
  }
  if (entry.includes('${')) {
    return {
      problem:
        'a webhook URL must come from the environment as exactly one ${env.NAME} (a var is plain text in the plan file)',
    };
  }
  return {
    problem:
      'must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME) or ${env.NAME} holding an https webhook URL',
  };
}

/**
 * Why a webhook URL taken from the environment cannot be used, or undefined when it can: https, or
 * plain http only to this machine (127.0.0.1, localhost, [::1]) for rehearsals.
 */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol === 'http:')
    return 'is a plain http URL; webhooks need https (plain http only to 127.0.0.1 or localhost, for rehearsals)';
  return `has scheme ${url.protocol.replace(/:$/, '')}; webhooks need https`;
}

/** The plan's entries as send targets. Unusable entries come back as warnings (never with the URL). */
export function resolveTargets(
  entries: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { targets: NotifyTarget[]; warnings: string[] } {
  const targets: NotifyTarget[] = [];
  const warnings: string[] = [];
  for (const entry of entries) {
    const c = classifyNotifyEntry(entry);
    if ('problem' in c) {
      warnings.push(`notify: an entry is not usable (${c.problem}); nothing is sent to it`);
    } else if (c.kind === 'sns') {
      targets.push({ kind: 'sns', topicArn: entry, region: c.region, fifo: c.fifo, label: `SNS topic ${entry}` });
    } else {
      const value = env[c.name]?.trim();
      const label = `webhook \${env.${c.name}}`;
      if (!value) {
        warnings.push(
          `notify: environment variable ${c.name} is not set, so no notifications go to ${label} in this run; set it to the webhook URL`,
        );
        continue;
      }
      const problem = webhookUrlProblem(value);
      if (problem) warnings.push(`notify: the value of ${c.name} ${problem}; nothing is sent to ${label}`);
      else targets.push({ kind: 'webhook', url: value, label });
    }
  }
  return { targets, warnings };
}
