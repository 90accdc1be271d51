// What a reviewer sees of logical-switchover before anything runs: the dry-run lists every statement
// in order and on which side (marker, the slot's confirmed position, sequences with the margin,
// views, DISABLE, the roles, the reverse publication and slot, and what a rollback would run), with
// role passwords as ***; the window shows it inside, before the switch's point of no return.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPlanText } from '../../../src/plan/load.js';
import { dryRun } from '../../../src/review/dry-run.js';
import { steps } from '../../../src/steps/index.js';

const FILE = 'test/fixtures/plans/valid/logical-switchover.yaml';

describe('logical-switchover in review', () => {
  it('lists every statement, in order, passwords masked, inside the window before the switch', () => {
    const loaded = checkPlanText(FILE, readFileSync(FILE, 'utf8'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const env = {
      SOURCE_HOST: 'orders-pg.example.internal',
      PGPASSWORD: 'src-secret',
      TARGET_PASSWORD: 'tgt-secret',
      APP_PASSWORD: 'app-secret',
    };
    const review = dryRun({ plan: loaded.plan, env, registry: steps });
    expect(review.cutover).toMatchObject({
      freezeStep: 'freeze',
      inside: ['freeze', 'switchover'],
      pointOfNoReturn: { stepId: 'switch' },
    });
    expect(review.cutover!.rules.join('\n')).toMatch(
      /the deadline \(2m after the freeze\) first takes back "switchover" \(the reverse slot and publication dropped, the subscription enabled again\), then undoes the freeze/,
    );
    const step = review.steps.find((s) => s.id === 'switchover')!;
    expect(step.error).toBeUndefined();
    const text = step.actions
      .map((a) =>
        'sql' in a
          ? `${a.sql} ${JSON.stringify(a.params ?? [])} ${a.note ?? ''}`
          : 'for' in a
            ? `${a.for} ${a.note ?? ''}`
            : 'description' in a
              ? a.description
              : '',
      )
      .join('\n');
    const order = [
      /wal_level/,
      /BEGIN READ WRITE;[\s\S]*INSERT INTO aurora_migrate\.cutover_marker[\s\S]*COMMIT;\nSELECT pg_current_wal_insert_lsn/,
      /confirmed_flush_lsn >= \$2::pg_lsn/,
      /SELECT last_value::text AS last_value, is_called FROM <each sequence>/,
      /setval\(\$1::regclass, \$2::bigint, \$3::boolean\)[\s\S]*± 1000 in the sequence's direction/,
      /REFRESH MATERIALIZED VIEW/,
      /ALTER SUBSCRIPTION "<steps\.replicate\.outputs\.subscription>" DISABLE/,
      /ALTER ROLE "app" PASSWORD \*\*\*/,
      /be in rolePasswords or rolesReady \(reporting\)/,
      /CREATE PUBLICATION "aurora_migrate_logical_switchover_switchover" FOR TABLE <those tables>/,
      /pg_create_logical_replication_slot/,
      /rollback before the point of no return runs SELECT pg_drop_replication_slot[\s\S]*ENABLE/,
    ];
    let at = 0;
    for (const re of order) {
      const m = re.exec(text.slice(at));
      expect(m, `${re} after position ${at}:\n${text}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    for (const secret of Object.values(env).filter((v) => v.includes('secret')))
      expect(JSON.stringify(review)).not.toContain(secret);
  });
});
