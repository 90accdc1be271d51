// ${...} references: well formed; vars defined; steps.ID.outputs.NAME only to earlier steps and only
// to outputs that step type has; secrets (password, credentials) only from ${env.…}.
import { findRefs, SECRET_KEYS } from './values.js';
import { didYouMean } from './suggest.js';
import { isRecord, strings, type Report } from './semantic-problem.js';
import { splitPointer } from './yaml-source.js';

const ENV_ONLY = /^\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}$/;
const FORMS = '${vars.NAME}, ${env.NAME} or ${steps.ID.outputs.NAME}';

export function checkReferences(
  data: Record<string, unknown>,
  outputsByType: Readonly<Record<string, readonly string[]>>,
  report: Report,
): void {
  const vars = isRecord(data.vars) ? data.vars : {};
  const varNames = Object.keys(vars);
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value === 'string' && value.includes('${')) {
      report(
        `/vars/${name}`,
        'a var holds plain text and cannot contain ${...}; use the reference where the value is needed',
        { within: '${' },
      );
    }
  }

  const steps = Array.isArray(data.steps) ? data.steps : [];
  const index = new Map<string, { i: number; type: unknown }>();
  steps.forEach((s, i) => {
    if (isRecord(s) && typeof s.id === 'string' && !index.has(s.id)) index.set(s.id, { i, type: s.type });
  });
  const stepIds = [...index.keys()];

  steps.forEach((step, i) => {
    if (!isRecord(step)) return;
    for (const [pointer, text] of strings(step, `/steps/${i}`)) {
      checkString(pointer, text, i);
    }
  });

  function checkString(pointer: string, text: string, stepIndex: number): void {
    const key = splitPointer(pointer).at(-1) ?? '';
    const secret = SECRET_KEYS.has(key) || /\/(credentials|rolePasswords)\/[^/]+$/.test(pointer);
    if (secret && !ENV_ONLY.test(text)) {
      report(
        pointer,
        `a secret must come from the environment as exactly one \${env.NAME} (e.g. \${env.${envNameFor(key)}}); a literal or a var in a plan file ends up in git`,
      );
    }
    const unclosed = text.lastIndexOf('${');
    if (unclosed >= 0 && !text.slice(unclosed).includes('}')) {
      report(pointer, `unclosed "\${": write ${FORMS}`, { within: text.slice(unclosed, unclosed + 2) });
    }
    for (const ref of findRefs(text)) {
      if ('malformed' in ref) {
        if (secret) continue; // never echo (part of) a secret; the secret message says enough
        report(pointer, `malformed reference ${ref.malformed}: write ${FORMS}`, { within: ref.malformed });
        continue;
      }
      if (ref.kind === 'vars') {
        if (!(ref.name in vars)) {
          const defined = varNames.length
            ? `; defined vars: ${varNames.join(', ')}`
            : '; the plan has no vars: section';
          report(
            pointer,
            `${ref.text} refers to an undefined var "${ref.name}"${didYouMean(ref.name, varNames)}${defined}`,
            { within: ref.text },
          );
        }
      } else if (ref.kind === 'steps') {
        const target = index.get(ref.stepId);
        if (!target) {
          report(
            pointer,
            `${ref.text} refers to step "${ref.stepId}", which the plan does not have${didYouMean(ref.stepId, stepIds)}`,
            { within: ref.text },
          );
        } else if (target.i === stepIndex) {
          report(pointer, `${ref.text}: a step cannot use its own outputs`, { within: ref.text });
        } else if (target.i > stepIndex) {
          report(
            pointer,
            `${ref.text} refers to step "${ref.stepId}", which runs later (steps[${target.i}]); only earlier steps' outputs are known`,
            {
              within: ref.text,
            },
          );
        } else if (typeof target.type === 'string' && outputsByType[target.type]) {
          const outputs = outputsByType[target.type];
          if (!outputs.includes(ref.output)) {
            const list = outputs.length ? `its outputs are ${outputs.join(', ')}` : 'it has no outputs';
            report(
              pointer,
              `${ref.text}: step "${ref.stepId}" (${target.type}) has no output "${ref.output}"${didYouMean(ref.output, outputs)}; ${list}`,
              {
                within: ref.text,
              },
            );
          }
        }
      }
    }
  }
}

function envNameFor(key: string): string {
  return (
    {
      password: 'PGPASSWORD',
      accessKeyId: 'AWS_ACCESS_KEY_ID',
      secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
      sessionToken: 'AWS_SESSION_TOKEN',
      masterPassword: 'TARGET_PASSWORD',
    }[key] ?? 'NAME'
  );
}
