// The reverse publication and its slot on the target (docs/routes/logical.md "The switchover (`logical-switchover`)", step 6): created at
// the switchover, while the source is still fenced and before the switch, so every write the
// application makes on the target after the switch is kept in the slot for the old source, which a
// later reverse-replication step subscribes to it (create_slot = false). Both have one
// deterministic name (the plan's and this step's), found by name on a resume; the undo drops both.
import { q } from '../logical-replica/spec.js';
import type { Sql } from '../logical-replica/session.js';

/** The relations the forward subscription replicates into the target (the marker table included). */
export const SUBSCRIBED_TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS sql
  FROM pg_subscription_rel sr JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE sr.srsubid = $1 ORDER BY 1`;

export const createReversePublicationSql = (name: string, tables: readonly string[]) =>
  `CREATE PUBLICATION ${q(name)} FOR TABLE ${tables.join(', ')} WITH (publish_via_partition_root = true)`;
export const CREATE_SLOT_SQL = "SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')";
export const DROP_SLOT_SQL = 'SELECT pg_drop_replication_slot($1)';
export const WAL_LEVEL_SQL = "SELECT current_setting('wal_level') AS wal_level";
/** May the tool's user create a logical slot: REPLICATION (stock PostgreSQL) or membership in rds_replication (RDS/Aurora). */
export const SLOT_PRIVILEGE_SQL = `SELECT r.rolreplication OR r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS ok
  FROM pg_roles r WHERE r.rolname = current_user`;

/** Why the target cannot publish now (read-only), or undefined. */
export async function reverseProblem(target: Pick<Sql, 'read' | 'conn'>): Promise<string | undefined> {
  const [{ wal_level }] = await target.read<{ wal_level: string }>(WAL_LEVEL_SQL);
  if (wal_level !== 'logical') {
    return `the target's wal_level is ${wal_level}, so it cannot publish the reverse replication: set rds.logical_replication = 1 in its DB cluster parameter group (aurora-cluster does it at creation) and reboot the writer, before the cutover`;
  }
  const [priv] = await target.read<{ ok: boolean }>(SLOT_PRIVILEGE_SQL);
  if (!priv?.ok)
    return `${target.conn.user} may not create a replication slot on the target: on Aurora run GRANT rds_replication TO ${target.conn.user} (stock PostgreSQL: ALTER ROLE ${target.conn.user} REPLICATION)`;
  return undefined;
}

/**
 * Tables of publication $1 (each leaf partition) without a usable replica identity: no primary key
 * (REPLICA IDENTITY DEFAULT), NOTHING, or an identity index that is gone. Once such a table is in a
 * publication, UPDATE and DELETE on it FAIL (AWS-FACTS "Replica identity") — on the target, which is
 * production after the switch. A table the source published with `replicaIdentityFull` is one: the
 * schema copy ran before its ALTER TABLE there, so the target's copy has the default.
 */
export const KEYLESS_PUBLISHED_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS sql
  FROM pg_publication p JOIN pg_publication_rel pr ON pr.prpubid = p.oid
  CROSS JOIN LATERAL (SELECT pr.prrelid AS relid UNION SELECT relid FROM pg_partition_tree(pr.prrelid) WHERE isleaf) t
  JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE p.pubname = $1 AND c.relkind = 'r'
   AND (c.relreplident = 'n'
        OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
        OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
 ORDER BY 1`;

/** Gives every table of the publication without a replica identity REPLICA IDENTITY FULL (as the source has it); returns them. */
export async function fullIdentityForKeyless(
  target: Pick<Sql, 'read' | 'exec'>,
  publication: string,
  alter: (sql: string) => Promise<unknown> = (s) => target.exec(s),
): Promise<string[]> {
  const tables = (await target.read<{ sql: string }>(KEYLESS_PUBLISHED_SQL, [publication])).map((r) => r.sql);
  for (const t of tables) await alter(`ALTER TABLE ${t} REPLICA IDENTITY FULL`);
  return tables;
}

/** Observe by name, then create what is missing: the publication first (the slot decodes with it), then the slot. */
export async function ensureReverse(
  target: Pick<Sql, 'read' | 'exec'>,
  name: string,
  subscriptionOid: number,
): Promise<{ publication: 'created' | 'adopted'; slot: 'created' | 'adopted'; replicaIdentityFull: string[] }> {
  const pub = await target.read('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (pub.length === 0) {
    const tables = (await target.read<{ sql: string }>(SUBSCRIBED_TABLES_SQL, [subscriptionOid])).map((r) => r.sql);
    if (tables.length === 0)
      throw new Error(`the subscription replicates no table into the target, so there is nothing to publish back`);
    await target.exec(createReversePublicationSql(name, tables));
  }
  // Before the switch, while no application writes on the target: after it, UPDATE and DELETE on a
  // published table without a replica identity would fail there.
  const replicaIdentityFull = await fullIdentityForKeyless(target, name);
  const slot = await target.read('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name]);
  if (slot.length === 0) await target.exec(CREATE_SLOT_SQL, [name]);
  return {
    publication: pub.length ? 'adopted' : 'created',
    slot: slot.length ? 'adopted' : 'created',
    replicaIdentityFull,
  };
}

/** The undo: the slot (refused when something reads it), then the publication; what is missing is fine. */
export async function dropReverse(target: Pick<Sql, 'read' | 'exec'>, name: string): Promise<string[]> {
  const dropped: string[] = [];
  const [slot] = await target.read<{ active: boolean; pid: number | null }>(
    'SELECT active, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
    [name],
  );
  if (slot?.active)
    throw new Error(
      `the reverse slot ${name} on the target is in use (walsender pid ${slot.pid ?? '?'}): a reverse subscription already reads it. Stop it, then run apply again`,
    );
  if (slot) {
    await target.exec(DROP_SLOT_SQL, [name]);
    dropped.push(`slot ${name}`);
  }
  const pub = await target.read('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (pub.length) {
    await target.exec(`DROP PUBLICATION IF EXISTS ${q(name)}`);
    dropped.push(`publication ${name}`);
  }
  return dropped;
}
