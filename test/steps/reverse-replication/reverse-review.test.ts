// What a reviewer sees of reverse-replication before anything runs: the switchover before it makes
// the reverse publication and slot although the plan never says reversePublication (the plan pairs
// them), and the step lists every statement in order and on which server — the forward subscription
// dropped on Aurora, the session made writable on the fenced old source, CREATE SUBSCRIPTION with the
// password as ***, the wait — after the switch's point of no return.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPlanText } from '../../../src/plan/load.js';
import { dryRun } from '../../../src/review/dry-run.js';
import { steps } from '../../../src/steps/index.js';
import { replicationName } from '../../../src/steps/logical-replica/spec.js';

const FILE = 'test/fixtures/plans/valid/reverse-replication.yaml';

describe('reverse-replication in review', () => {
  it('the switchover makes the reverse slot because the plan reverse-replicates; the step lists every statement in order, password masked', () => {
    const loaded = checkPlanText(FILE, readFileSync(FILE, 'utf8'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const env = {
      SOURCE_HOST: 'orders-pg.example.internal',
      PGPASSWORD: 'src-secret',
      TARGET_PASSWORD: 'tgt-secret',
      APP_PASSWORD: 'app-secret',
    };
    const review = dryRun({ plan: loaded.plan, env, registry: steps });
    const text = (id: string) =>
      review.steps
        .find((s) => s.id === id)!
        .actions.map((a) =>
          'sql' in a
            ? `${a.sql} ${JSON.stringify(a.params ?? [])} ${a.note ?? ''}`
            : 'for' in a
              ? `${a.for} ${a.note ?? ''}`
              : 'description' in a
                ? a.description
                : '',
        )
        .join('\n');
    expect(text('switchover')).toMatch(
      /CREATE PUBLICATION "aurora_migrate_reverse_replication_switchover" FOR TABLE <those tables>[\s\S]*pg_create_logical_replication_slot/,
    );
    expect(review.cutover!.rules.join('\n')).toMatch(
      /first takes back "switchover" \(the reverse slot and publication dropped, the subscription enabled again\)/,
    );
    const step = review.steps.find((s) => s.id === 'fallback')!;
    expect(step.error).toBeUndefined();
    const order = [
      /server_version_num[\s\S]*?"aurora_migrate_reverse_replication_fallback"[\s\S]*?on the old source \(orders-pg\.example\.internal, database orders\)/,
      /pg_publication WHERE pubname = \$1[\s\S]*?<steps\.switchover\.outputs\.reverseSlot>/,
      /DROP SUBSCRIPTION IF EXISTS "<steps\.replicate\.outputs\.subscription>" \[\] on Aurora/,
      /pg_drop_replication_slot\(\$1\) \["<steps\.replicate\.outputs\.subscription>"\] on the old source/,
      /SET default_transaction_read_only = off \[\] on the old source/,
      /CREATE SUBSCRIPTION "aurora_migrate_reverse_replication_fallback" CONNECTION 'host=10\.0\.12\.34 port=5432 dbname=orders user=postgres password=\*\*\* application_name=aurora-migrate-subscription' PUBLICATION "<steps\.switchover\.outputs\.reverseSlot>" WITH \(copy_data = false, create_slot = false, slot_name = '<steps\.switchover\.outputs\.reverseSlot>'\[, origin = none\]\)/,
      /pg_current_wal_lsn\(\)[\s\S]*?on Aurora/,
      /slot <steps\.switchover\.outputs\.reverseSlot> on Aurora read by the old source, confirmed past that position and at most 16MiB behind/,
      /drop-replication/,
    ];
    const all = text('fallback');
    let at = 0;
    for (const re of order) {
      const m = re.exec(all.slice(at));
      expect(m, `${re} after position ${at}:\n${all}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    for (const secret of Object.values(env).filter((v) => v.includes('secret')))
      expect(JSON.stringify(review)).not.toContain(secret);
  });

  it('plans/logical-fallback.yaml names the subscription and slot plans/logical-upgrade.yaml makes', () => {
    const load = (f: string) => {
      const r = checkPlanText(f, readFileSync(f, 'utf8'));
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return r.plan;
    };
    const upgrade = load('plans/logical-upgrade.yaml');
    const fallback = load('plans/logical-fallback.yaml');
    const switchover = upgrade.steps.find((s) => s.type === 'logical-switchover')!;
    const reverse = upgrade.steps.find((s) => s.type === 'reverse-replication')!;
    expect(switchover).toMatchObject({ reversePublication: true });
    expect(fallback.vars).toMatchObject({
      reverseSubscription: replicationName(upgrade.name, reverse.id),
      reverseSlot: replicationName(upgrade.name, switchover.id),
    });
    expect(fallback.steps.map((s) => s.type)).toEqual([
      'approval',
      'freeze-writes',
      'logical-switchover',
      'verify-data',
      'lift-fence',
      'switch-endpoint',
    ]);
  });
});
