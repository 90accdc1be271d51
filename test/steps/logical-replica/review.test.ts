// What a reviewer sees of logical-replica before anything runs: the dry-run (every SQL statement and
// external command with its arguments, the subscription's password and role passwords as ***), and
// the read-only preflight on real servers, which names each gap with the GRANT that fixes it.
import { afterEach, describe, expect, it } from 'vitest';
import { checkPlanText } from '../../../src/plan/load.js';
import { dryRun } from '../../../src/review/dry-run.js';
import { steps } from '../../../src/steps/index.js';
import { logicalReplicaPreflight } from '../../../src/steps/logical-replica/preflight.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import type { CheckResult, PreflightContext } from '../../../src/steps/step.js';
import type { LogicalReplicaSpec } from '../../../src/plan/types.js';
import { stepSpec } from '../../support/logical/spec.js';
import { startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

let w: LogicalWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const PLAN = `version: 1
name: orders
steps:
  - id: replicate
    type: logical-replica
    source: { host: orders-pg.example.internal, database: orders, user: master, password: "\${env.PGPASSWORD}" }
    target: { host: orders-aurora.cluster-abc.example.internal, port: 5432, database: orders, user: postgres, password: "\${env.TARGET_PASSWORD}" }
    publisherEndpoint: { host: 10.0.3.17, port: 5432 }
    schemas: [public]
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    instance: orders-pg
    guards: [{ metric: FreeStorageSpace, on: source, below: 20GiB }]
    maxSlotLag: 50GiB
`;

const check = (results: CheckResult[], name: string) => results.find((r) => r.check === name);

function preflightCtx(extra: Partial<PreflightContext> = {}): PreflightContext {
  return {
    planName: 'orders',
    stepId: 'replicate',
    aws: { send: () => Promise.reject(new Error('no AWS here')) },
    db: createPgConnector(),
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('logical-replica in review', () => {
  it('the dry-run shows every statement and command, with the passwords masked', () => {
    const loaded = checkPlanText('plan.yaml', PLAN);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const env = { PGPASSWORD: 'src-Secret-1', TARGET_PASSWORD: 'tgt-Secret-2', APP_PASSWORD: 'app-Secret-3' };
    const review = dryRun({ plan: loaded.plan, env, registry: steps });
    const text = JSON.stringify(review);
    for (const secret of Object.values(env)) expect(text).not.toContain(secret);
    const actions = review.steps[0]!.actions;
    const lines = actions.map((a) =>
      a.kind === 'sql'
        ? a.sql
        : a.kind === 'check'
          ? a.description
          : a.kind === 'wait'
            ? a.for
            : a.kind === 'aws'
              ? a.operation
              : a.message,
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^command: pg_dumpall -h orders-pg\.example\.internal -p 5432 -U master --roles-only --no-role-passwords -l orders$/,
        ),
        expect.stringMatching(
          /^command: pg_dump -h orders-pg\.example\.internal -p 5432 -U master --schema-only --section=pre-data --no-publications --no-subscriptions --no-blobs --no-tablespaces '--schema="public"' -d orders \| psql -h orders-aurora/,
        ),
        'ALTER ROLE "app" PASSWORD ***',
        'ALTER TABLE "public"."audit_log" REPLICA IDENTITY FULL',
        `CREATE SUBSCRIPTION "aurora_migrate_orders_replicate" CONNECTION 'host=10.0.3.17 port=5432 dbname=orders user=master password=*** application_name=aurora-migrate-subscription' PUBLICATION "aurora_migrate_orders_replicate" WITH (copy_data = true, create_slot = true, slot_name = 'aurora_migrate_orders_replicate')`,
        'GetMetricData',
      ]),
    );
    expect(lines.join('\n')).toMatch(
      /guards every poll: FreeStorageSpace on source orders-pg below 20GiB; slot aurora_migrate_orders_replicate keeping more than 50GiB of WAL; DDL on the source/,
    );
  });

  it('at a terminal, apply first says what the step does to the production source (apply --yes answers)', async () => {
    const { logicalReplica } = await import('../../../src/steps/logical-replica/index.js');
    const loaded = checkPlanText('plan.yaml', PLAN);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    expect(logicalReplica.confirmation!(loaded.plan.steps[0] as LogicalReplicaSpec)).toBe(
      'changes the production source database orders: a replication slot that keeps WAL there until it is read or dropped, a publication, DDL event triggers, and ALTER TABLE … REPLICA IDENTITY FULL on public.audit_log.',
    );
  });

  it('a fence later in the plan keeps CONNECT for the user the subscription logs in to the source as', () => {
    const plan = `${PLAN.replace('user: master, password', 'user: replicator, password')}  - id: freeze
    type: freeze-writes
    connection: { host: orders-pg.example.internal, database: postgres, user: master, password: "\${env.PGPASSWORD}" }
    databases: [orders]
`;
    const loaded = checkPlanText('plan.yaml', plan);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const freeze = dryRun({ plan: loaded.plan, env: {}, registry: steps }).steps[1]!.actions;
    const grants = freeze
      .flatMap((a) => (a.kind === 'sql' && a.sql.startsWith('GRANT CONNECT') ? [a.sql] : []))
      .join('\n');
    expect(grants).toMatch(/GRANT CONNECT ON DATABASE "?orders"? TO "?replicator"?/);
  });

  it('preflight on real servers names each gap with the GRANT that fixes it, before anything is created', async () => {
    w = await startLogicalWorld({ rows: 50, grantOwner: false, replication: false });
    const spec = stepSpec(w, { replicaIdentityFull: undefined }) as unknown as LogicalReplicaSpec;
    const results = await logicalReplicaPreflight(spec, preflightCtx());
    expect(check(results, 'table ownership for the publication')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Run on the source: GRANT app TO master;'),
    });
    expect(check(results, 'replication privilege on the source')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('GRANT rds_replication TO master;'),
    });
    expect(check(results, 'replica identity')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /public\.audit_log has no primary key and no replica identity.*replicaIdentityFull: \[public\.audit_log\]/,
      ),
    });
    expect(check(results, 'tables that cannot be published')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('public.session_cache (unlogged)'),
    });
    expect(check(results, 'tables to publish')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('public.events (partitioned, through its root)'),
    });
    expect(check(results, 'materialized views')?.detail).toContain('public.order_totals');
    expect(check(results, 'wal_level')).toMatchObject({ status: 'pass', detail: 'logical' });
    expect(check(results, 'replication slots and senders on the source')).toMatchObject({ status: 'pass' });
    expect(check(results, 'target version')).toMatchObject({ status: 'pass', detail: '18 (source 14)' });
    expect(check(results, 'target database')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('will be created'),
    });
    expect(check(results, 'subscription privilege on the target')).toMatchObject({ status: 'pass' });
    expect(check(results, 'pg_dump available')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/pg_dump 1[5-9]\./),
    });
    expect(check(results, 'WAL budget during the copy')).toMatchObject({ status: 'pass' });
    expect(check(results, 'role passwords on the target')).toMatchObject({ status: 'pass' });
    const noPasswords = await logicalReplicaPreflight({ ...spec, rolePasswords: undefined }, preflightCtx());
    expect(check(noPasswords, 'role passwords on the target')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^app can log in to the source but will have no password on the target/),
    });
    // Read-only: nothing was created on either side.
    expect(await w.source.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'aurora_migrate'`, [], 'orders')).toEqual(
      [],
    );
    expect(await w.target.query(`SELECT 1 FROM pg_database WHERE datname = 'orders'`)).toEqual([]);

    // The same checks pass once a DBA ran the GRANTs and opted in.
    await w.source.query('GRANT app TO master');
    await w.source.query('ALTER ROLE master REPLICATION');
    const fixed = await logicalReplicaPreflight(stepSpec(w) as unknown as LogicalReplicaSpec, preflightCtx());
    expect(fixed.filter((r) => r.status === 'fail')).toEqual([]);
    expect(check(fixed, 'replica identity')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('REPLICA IDENTITY FULL will run on the source for public.audit_log'),
    });

    // An owning role that already exists on the target, which the tool's user may not act as.
    await w.target.query('CREATE ROLE app NOLOGIN');
    const owned = await logicalReplicaPreflight(stepSpec(w) as unknown as LogicalReplicaSpec, preflightCtx());
    expect(check(owned, 'table owners on the target')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Run on the target: GRANT app TO master;'),
    });
    await w.target.query('GRANT app TO master');
    expect(
      check(
        await logicalReplicaPreflight(stepSpec(w) as unknown as LogicalReplicaSpec, preflightCtx()),
        'table owners on the target',
      )?.status,
    ).toBe('pass');

    // pg_dump older than the source, or missing.
    const old = await logicalReplicaPreflight(
      stepSpec(w) as unknown as LogicalReplicaSpec,
      preflightCtx({ commands: { run: async (p) => ({ code: 0, stdout: `${p} (PostgreSQL) 13.9\n`, stderr: '' }) } }),
    );
    expect(check(old, 'pg_dump available')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('older than the source (14)'),
    });
    const missing = await logicalReplicaPreflight(
      stepSpec(w) as unknown as LogicalReplicaSpec,
      preflightCtx({ env: { PG_BINDIR: '/nonexistent/bin' } }),
    );
    expect(check(missing, 'psql available')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('/nonexistent/bin/psql was not found'),
    });
  }, 60_000);

  it('preflight: wal_level replica fails, unless an enable-logical-replication step comes earlier', async () => {
    w = await startLogicalWorld({ rows: 10, walLevel: 'replica' });
    const spec = stepSpec(w) as unknown as LogicalReplicaSpec;
    expect(check(await logicalReplicaPreflight(spec, preflightCtx()), 'wal_level')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('set rds.logical_replication = 1'),
    });
    expect(
      check(
        await logicalReplicaPreflight(
          spec,
          preflightCtx({ earlierSteps: [{ id: 'logical-source', type: 'enable-logical-replication' }] }),
        ),
        'wal_level',
      ),
    ).toMatchObject({ status: 'warn', detail: expect.stringContaining('step "logical-source"') });
    // Before the target exists (an earlier aurora-cluster step makes it), the source is still checked.
    const early = await logicalReplicaPreflight(
      {
        ...spec,
        target: { ...spec.target, host: '<steps.target.outputs.endpoint>', port: '<steps.target.outputs.port>' },
      },
      preflightCtx(),
    );
    expect(check(early, 'target checks')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('known only after an earlier step'),
    });
    expect(check(early, 'wal_level')?.status).toBe('fail');
    expect(check(early, 'table ownership for the publication')?.status).toBe('pass');
  }, 60_000);
});
