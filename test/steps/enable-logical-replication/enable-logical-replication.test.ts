// enable-logical-replication against the stand-in through the real SDK (synthetic world, manual
// clock): a default group is replaced by a created one, the static change waits for a reboot that
// only `reboot: true` makes, a crash never leads to a second reboot, and a shared group is refused.
import { afterEach, describe, expect, it } from 'vitest';
import { StepFailed } from '../../../src/errors.js';
import { enableLogicalReplication } from '../../../src/steps/enable-logical-replication/run.js';
import { memoryCheckpoint } from '../../../src/engine/step-context.js';
import { count, mutating } from '../support/run-step.js';
import { SOURCE, stepStandin, type StepStandin } from '../support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'logical-source',
  type: 'enable-logical-replication',
  instance: SOURCE,
  parameterGroup: 'orders-pg-logical',
  ...extra,
});

async function groupOf(id = SOURCE) {
  const out = await s.api.send('rds', 'DescribeDBInstances', { DBInstanceIdentifier: id });
  return out.DBInstances[0].DBParameterGroups[0] as { DBParameterGroupName: string; ParameterApplyStatus: string };
}

async function parameter(group: string, name: string) {
  const out = await s.api.send('rds', 'DescribeDBParameters', { DBParameterGroupName: group });
  return (out.Parameters as any[]).find((p) => p.ParameterName === name);
}

describe('enable-logical-replication', () => {
  it('without reboot: creates the group from the family, switches the instance to it, sets the parameter, and stops (exit 2) naming the pending reboot', async () => {
    s = await stepStandin();
    expect(await groupOf()).toEqual({ DBParameterGroupName: 'default.postgres16', ParameterApplyStatus: 'in-sync' });
    const r = await s.run(enableLogicalReplication, spec({ parameters: { max_replication_slots: 10 } }));
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toMatch(
      /takes effect only when orders-pg is rebooted \(ParameterApplyStatus: pending-reboot\)/,
    );
    expect(r.error!.message).toMatch(/aws rds reboot-db-instance --db-instance-identifier orders-pg/);
    expect(r.error!.message).toMatch(/set "reboot: true" on this step, then run aurora-migrate apply again/);
    expect(mutating(r.calls)).toEqual(['CreateDBParameterGroup', 'ModifyDBInstance', 'ModifyDBParameterGroup']);
    expect(r.calls.find((c) => c.operation === 'CreateDBParameterGroup')!.input).toMatchObject({
      DBParameterGroupName: 'orders-pg-logical',
      DBParameterGroupFamily: 'postgres16',
      Tags: [
        { Key: 'aurora-migrate:plan', Value: 'orders' },
        { Key: 'aurora-migrate:step', Value: 'logical-source' },
      ],
    });
    expect(r.calls.find((c) => c.operation === 'ModifyDBParameterGroup')!.input).toEqual({
      DBParameterGroupName: 'orders-pg-logical',
      Parameters: [
        { ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'pending-reboot' },
        { ParameterName: 'max_replication_slots', ParameterValue: '10', ApplyMethod: 'pending-reboot' },
      ],
    });
    expect(await groupOf()).toEqual({
      DBParameterGroupName: 'orders-pg-logical',
      ParameterApplyStatus: 'pending-reboot',
    });
    expect(await parameter('orders-pg-logical', 'rds.logical_replication')).toMatchObject({
      ParameterValue: '1',
      Source: 'user',
      ApplyType: 'static',
    });
    expect(s.aws.calls.count('RebootDBInstance')).toBe(0);

    // The user reboots in their own window; apply again converges without changing anything.
    await s.api.send('rds', 'RebootDBInstance', { DBInstanceIdentifier: SOURCE });
    const again = await s.run(enableLogicalReplication, spec({ parameters: { max_replication_slots: 10 } }), {
      checkpoint: r.checkpoint,
      attempt: 2,
    });
    expect(again.error).toBeUndefined();
    expect(mutating(again.calls)).toEqual([]);
    expect(again.outputs).toEqual({ parameterGroup: 'orders-pg-logical', walLevel: 'logical' });
  });

  it('with reboot: true reboots once, waits for available and in-sync, and outputs when', async () => {
    s = await stepStandin();
    const started = s.aws.clock.now();
    const r = await s.run(enableLogicalReplication, spec({ reboot: true }));
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual([
      'CreateDBParameterGroup',
      'ModifyDBInstance',
      'ModifyDBParameterGroup',
      'RebootDBInstance',
    ]);
    expect(r.outputs).toEqual({
      parameterGroup: 'orders-pg-logical',
      walLevel: 'logical',
      rebootedAt: expect.any(String),
    });
    expect(Date.parse(r.outputs!.rebootedAt as string)).toBeGreaterThanOrEqual(started);
    expect(await groupOf()).toEqual({ DBParameterGroupName: 'orders-pg-logical', ParameterApplyStatus: 'in-sync' });
    // Already done: a second run changes nothing and reboots nothing.
    const again = await s.run(enableLogicalReplication, spec({ reboot: true }));
    expect(mutating(again.calls)).toEqual([]);
    expect(again.outputs).toEqual({ parameterGroup: 'orders-pg-logical', walLevel: 'logical' });
  });

  it('a crash right after RebootDBInstance returned, or before it was sent, ends in exactly one reboot', async () => {
    s = await stepStandin();
    const first = await s.run(enableLogicalReplication, spec({ reboot: true }), { crashAfterSend: 'RebootDBInstance' });
    expect(first.error?.message).toMatch(/simulated crash/);
    const resumed = await s.run(enableLogicalReplication, spec({ reboot: true }), {
      checkpoint: first.checkpoint,
      attempt: 2,
    });
    expect(resumed.error).toBeUndefined();
    expect(count(resumed.calls, 'RebootDBInstance')).toBe(0);
    expect(resumed.outputs!.rebootedAt).toBe((first.checkpoint.get() as any).rebootedAt);
    expect(s.aws.calls.count('RebootDBInstance')).toBe(1);
    await s.close();

    // Checkpoint "RebootDBInstance sent" persisted, then the process died before sending it:
    // the instance still waits for a reboot, so the resume sends the (first) reboot.
    s = await stepStandin();
    const checkpoint = memoryCheckpoint();
    const crashedEarly = await s.run(enableLogicalReplication, spec({ reboot: true }), {
      checkpoint,
      crashAfterCheckpoint: 4,
    });
    expect((checkpoint.get() as any).phase).toBe('RebootDBInstance sent');
    expect(crashedEarly.error?.message).toMatch(/simulated crash/);
    expect(s.aws.calls.count('RebootDBInstance')).toBe(0);
    const resumed2 = await s.run(enableLogicalReplication, spec({ reboot: true }), { checkpoint, attempt: 2 });
    expect(resumed2.error).toBeUndefined();
    expect(s.aws.calls.count('RebootDBInstance')).toBe(1);
    expect(s.aws.calls.count('CreateDBParameterGroup')).toBe(1);
    expect(s.aws.calls.count('ModifyDBInstance')).toBe(1);
  });

  for (const op of ['CreateDBParameterGroup', 'ModifyDBInstance', 'ModifyDBParameterGroup']) {
    it(`a crash right after ${op} returned: the resume does each change once and reboots once`, async () => {
      s = await stepStandin();
      const first = await s.run(enableLogicalReplication, spec({ reboot: true }), { crashAfterSend: op });
      expect(first.error?.message).toMatch(/simulated crash/);
      const resumed = await s.run(enableLogicalReplication, spec({ reboot: true }), {
        checkpoint: first.checkpoint,
        attempt: 2,
      });
      expect(resumed.error).toBeUndefined();
      for (const change of [
        'CreateDBParameterGroup',
        'ModifyDBInstance',
        'ModifyDBParameterGroup',
        'RebootDBInstance',
      ]) {
        expect(s.aws.calls.succeeded(change), change).toBe(1);
      }
      expect(await groupOf()).toEqual({ DBParameterGroupName: 'orders-pg-logical', ParameterApplyStatus: 'in-sync' });
    });
  }

  it('refuses to change a custom group other instances use, unless shared: true', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          { id: SOURCE, engineVersion: '14.11', parameterGroup: 'team-pg14' },
          { id: 'billing-pg', engineVersion: '14.11', parameterGroup: 'team-pg14' },
        ],
      },
    });
    const r = await s.run(enableLogicalReplication, spec({ parameterGroup: 'team-pg14', reboot: true }));
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toMatch(
      /parameter group team-pg14 is also used by billing-pg; changing it would change them too at their next reboot/,
    );
    expect(mutating(r.calls)).toEqual([]);

    const ok = await s.run(enableLogicalReplication, spec({ parameterGroup: 'team-pg14', reboot: true, shared: true }));
    expect(ok.error).toBeUndefined();
    expect(ok.warnings.join('\n')).toMatch(
      /also used by billing-pg; they get wal_level = logical at their next reboot/,
    );
    expect(mutating(ok.calls)).toEqual(['ModifyDBParameterGroup', 'RebootDBInstance']);
    expect(await groupOf('billing-pg')).toEqual({
      DBParameterGroupName: 'team-pg14',
      ParameterApplyStatus: 'pending-reboot',
    });
  });

  it('does not switch an instance away from its own custom group, and does nothing where logical replication is already on', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          { id: SOURCE, engineVersion: '14.11', parameterGroup: 'orders-tuned' },
          {
            id: 'ready-pg',
            engineVersion: '14.11',
            parameterGroup: 'ready-logical',
            parameters: { 'rds.logical_replication': '1' },
          },
        ],
      },
    });
    const r = await s.run(enableLogicalReplication, spec({ reboot: true }));
    expect(r.error!.message).toMatch(
      /orders-pg uses its own custom parameter group orders-tuned, not orders-pg-logical; switching groups would drop its other settings. Set "parameterGroup: orders-tuned"/,
    );
    expect(mutating(r.calls)).toEqual([]);

    const done = await s.run(
      enableLogicalReplication,
      spec({ instance: 'ready-pg', parameterGroup: 'ready-logical', reboot: true }),
    );
    expect(done.error).toBeUndefined();
    expect(mutating(done.calls)).toEqual([]);
    expect(done.outputs).toEqual({ parameterGroup: 'ready-logical', walLevel: 'logical' });
  });

  it('fails at once, changing nothing, when the source is stopped (waiting would not help)', async () => {
    s = await stepStandin({ seed: { instances: [{ id: SOURCE, engineVersion: '14.11', status: 'stopped' }] } });
    const r = await s.run(enableLogicalReplication, spec({ reboot: true }));
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toMatch(
      /DB instance orders-pg is in state "stopped"; waiting will not change that. Bring it back to "available"/,
    );
    expect(mutating(r.calls)).toEqual([]);
  });

  it('describe() shows the calls run() sends, with the family known only at run time as a placeholder', async () => {
    s = await stepStandin();
    const sp = spec({ reboot: true, parameters: { max_wal_senders: 12 } });
    const planned = enableLogicalReplication
      .describe(sp as any, { planName: 'orders', stepId: 'logical-source' })
      .filter((a) => a.kind === 'aws') as any[];
    const r = await s.run(enableLogicalReplication, sp);
    const sent = r.calls
      .filter((c) => mutating([c]).length > 0)
      .map((c) => ({ operation: c.operation, params: c.input }));
    expect(planned.map((a) => a.operation)).toEqual(sent.map((c) => c.operation));
    expect(planned.map((a) => a.params)).toEqual(
      sent.map((c) =>
        c.operation === 'CreateDBParameterGroup'
          ? { ...c.params, DBParameterGroupFamily: "<family of orders-pg's current parameter group>" }
          : c.params,
      ),
    );
  });
});
