// The subscription on the target, named like the publication, with a slot of the same deterministic
// name on the source, so a resume finds both and never makes a second. Its CONNECTION names the
// source as the target reaches it (publisherEndpoint); the password is in the statement the server
// receives but never in the event log, the state or any output (shown as ***).
import type { ResolvedConnection } from '../../db/api.js';
import { conninfo, lit, q, type ReplicationNames } from './spec.js';
import type { Sql } from './session.js';

export function createSubscriptionSql(names: ReplicationNames, publisher: ResolvedConnection, mask: boolean): string {
  return `CREATE SUBSCRIPTION ${q(names.subscription)} CONNECTION ${lit(conninfo(publisher, mask))} PUBLICATION ${q(names.publication)} WITH (copy_data = true, create_slot = true, slot_name = ${lit(names.slot)})`;
}

export interface SubscriptionRow {
  oid: number;
  enabled: boolean;
  slot: string | null;
}

export async function findSubscription(target: Pick<Sql, 'read'>, name: string): Promise<SubscriptionRow | undefined> {
  const [row] = await target.read<SubscriptionRow>(
    'SELECT s.oid::int AS oid, s.subenabled AS enabled, s.subslotname AS slot FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1 AND d.datname = current_database()',
    [name],
  );
  return row;
}

export interface SlotRow {
  slot: string;
  active: boolean;
  pid: number | null;
  /** Bytes of WAL the slot keeps (from restart_lsn). */
  retained: number | null;
  /** Bytes the subscription has not confirmed (from confirmed_flush_lsn). */
  lag: number | null;
}

export const SLOTS_SQL = `SELECT slot_name AS slot, active, active_pid AS pid,
  pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained,
  pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag
  FROM pg_replication_slots WHERE slot_name = $1 OR slot_name LIKE $2`;

/** The subscription's slot and its table-sync slots (pg_<suboid>_sync_…). */
export async function slotsOf(source: Pick<Sql, 'read'>, slot: string, subOid?: number): Promise<SlotRow[]> {
  const rows = await source.read<SlotRow>(SLOTS_SQL, [slot, subOid ? `pg\\_${subOid}\\_sync\\_%` : '-']);
  return rows.map((r) => ({
    ...r,
    retained: r.retained === null ? null : Number(r.retained),
    lag: r.lag === null ? null : Number(r.lag),
  }));
}

/** Who reads a slot: pid, user, application and client address of its walsender. */
export async function slotReader(source: Pick<Sql, 'read'>, pid: number | null): Promise<string> {
  if (!pid) return 'an unknown process';
  const [a] = await source.read<{
    usename: string | null;
    application_name: string | null;
    client_addr: string | null;
  }>('SELECT usename, application_name, host(client_addr) AS client_addr FROM pg_stat_activity WHERE pid = $1', [pid]);
  return `pid ${pid}${a ? ` (user ${a.usename ?? '?'}, application_name "${a.application_name ?? ''}", client ${a.client_addr ?? 'local'})` : ''}`;
}

export const dropSlotSql = 'SELECT pg_drop_replication_slot($1)';

/**
 * DROP SUBSCRIPTION, which also drops its slot on the publisher. When the publisher cannot be
 * reached, the subscription is detached from its slot (DISABLE, slot_name = NONE) and dropped; the
 * result says so, so the caller can drop the slot on the source itself or name it.
 */
export async function dropSubscriptionEverywhere(
  target: Pick<Sql, 'exec'>,
  name: string,
): Promise<'dropped' | 'slot-left'> {
  try {
    await target.exec(`DROP SUBSCRIPTION IF EXISTS ${q(name)}`);
    return 'dropped';
  } catch (err) {
    if (!/could not connect|could not drop (the )?replication slot|connection/i.test((err as Error).message)) throw err;
    await target.exec(`ALTER SUBSCRIPTION ${q(name)} DISABLE`);
    await target.exec(`ALTER SUBSCRIPTION ${q(name)} SET (slot_name = NONE)`);
    await target.exec(`DROP SUBSCRIPTION ${q(name)}`);
    return 'slot-left';
  }
}
