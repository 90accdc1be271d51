// The DDL guard: DDL is not replicated, so a schema change on the source during the copy silently
// breaks the target. Event triggers on the source log every DDL command into aurora_migrate.ddl_log;
// the step reads the log every poll and stops naming the commands. The trigger functions are
// SECURITY DEFINER (the application's own DDL must not fail on a schema it cannot write) and never
// fail the statement they watch (any error inside is swallowed). Not logged: temporary objects, the
// tool's own sessions (application_name aurora-migrate…), objects of the aurora_migrate schema, and
// tags that change no replicated table (COMMENT, GRANT/REVOKE, REFRESH MATERIALIZED VIEW, ALTER
// DEFAULT PRIVILEGES). Creating an event trigger needs rds_superuser on RDS (a superuser on stock
// PostgreSQL: ddlGuardConnection).
import { q } from './spec.js';
import type { Sql } from './session.js';

export const GUARD_TRIGGER = 'aurora_migrate_ddl_guard';
export const GUARD_DROP_TRIGGER = 'aurora_migrate_ddl_guard_drop';
export const DDL_LOG = 'aurora_migrate.ddl_log';

const IGNORED_TAGS = `('COMMENT', 'GRANT', 'REVOKE', 'REFRESH MATERIALIZED VIEW', 'ALTER DEFAULT PRIVILEGES')`;

export const GUARD_SETUP_SQL = [
  'CREATE SCHEMA IF NOT EXISTS aurora_migrate',
  `CREATE TABLE IF NOT EXISTS ${DDL_LOG} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), tag text NOT NULL, object_type text, object_identity text, username text NOT NULL DEFAULT session_user, query text)`,
  `CREATE OR REPLACE FUNCTION aurora_migrate.log_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  IF current_setting('application_name', true) LIKE 'aurora-migrate%' THEN RETURN; END IF;
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    CONTINUE WHEN r.command_tag IN ${IGNORED_TAGS} OR r.in_extension;
    CONTINUE WHEN r.schema_name LIKE 'pg_temp%' OR r.schema_name = 'aurora_migrate' OR r.object_identity LIKE 'pg_temp%';
    INSERT INTO aurora_migrate.ddl_log (tag, object_type, object_identity, query) VALUES (r.command_tag, r.object_type, r.object_identity, left(current_query(), 500));
  END LOOP;
EXCEPTION WHEN OTHERS THEN RETURN;
END $$`,
  `CREATE OR REPLACE FUNCTION aurora_migrate.log_ddl_drop() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  IF current_setting('application_name', true) LIKE 'aurora-migrate%' THEN RETURN; END IF;
  FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    CONTINUE WHEN NOT r.original OR r.is_temporary OR r.schema_name = 'aurora_migrate';
    INSERT INTO aurora_migrate.ddl_log (tag, object_type, object_identity, query) VALUES (tg_tag, r.object_type, r.object_identity, left(current_query(), 500));
  END LOOP;
EXCEPTION WHEN OTHERS THEN RETURN;
END $$`,
];

export const GUARD_EXISTS_SQL = `SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname IN ('${GUARD_TRIGGER}', '${GUARD_DROP_TRIGGER}') AND evtenabled <> 'D'`;
export const CREATE_GUARD_SQL = [
  `CREATE EVENT TRIGGER ${GUARD_TRIGGER} ON ddl_command_end EXECUTE FUNCTION aurora_migrate.log_ddl()`,
  `CREATE EVENT TRIGGER ${GUARD_DROP_TRIGGER} ON sql_drop EXECUTE FUNCTION aurora_migrate.log_ddl_drop()`,
];
export const DROP_GUARD_SQL = [
  `DROP EVENT TRIGGER IF EXISTS ${GUARD_TRIGGER}`,
  `DROP EVENT TRIGGER IF EXISTS ${GUARD_DROP_TRIGGER}`,
  'DROP FUNCTION IF EXISTS aurora_migrate.log_ddl()',
  'DROP FUNCTION IF EXISTS aurora_migrate.log_ddl_drop()',
  `DROP TABLE IF EXISTS ${DDL_LOG}`,
];

/** Installs the guard (idempotent) and lets `reader` read and clear the log. Returns the log's newest id: entries after it count. */
export async function installGuard(sql: Sql, reader: string): Promise<number> {
  const [{ n }] = await sql.read<{ n: number }>(GUARD_EXISTS_SQL);
  if (n < 2) {
    for (const s of GUARD_SETUP_SQL) await sql.exec(s);
    await sql.exec(`DROP EVENT TRIGGER IF EXISTS ${GUARD_TRIGGER}`);
    await sql.exec(`DROP EVENT TRIGGER IF EXISTS ${GUARD_DROP_TRIGGER}`);
    for (const s of CREATE_GUARD_SQL) await sql.exec(s);
  }
  if (reader !== sql.conn.user) {
    await sql.exec(`GRANT USAGE ON SCHEMA aurora_migrate TO ${q(reader)}`);
    await sql.exec(`GRANT SELECT, DELETE ON ${DDL_LOG} TO ${q(reader)}`);
  }
  const [{ id }] = await sql.read<{ id: string | null }>(`SELECT max(id)::text AS id FROM ${DDL_LOG}`);
  return Number(id ?? 0);
}

export interface DdlEntry {
  id: number;
  at: string;
  tag: string;
  object: string | null;
  username: string;
}

export async function ddlSince(sql: Pick<Sql, 'read'>, afterId: number): Promise<DdlEntry[]> {
  return sql.read<DdlEntry>(
    `SELECT id::int AS id, at::text AS at, tag, object_identity AS object, username FROM ${DDL_LOG} WHERE id > $1 ORDER BY id LIMIT 20`,
    [afterId],
  );
}

export function ddlMessage(entries: DdlEntry[]): string {
  const list = entries.map((e) => `${e.tag}${e.object ? ` ${e.object}` : ''} (by ${e.username} at ${e.at})`).join('; ');
  return (
    `DDL ran on the source during the replication: ${list}. DDL is not replicated, so the target no longer matches. ` +
    `Apply the same change to the target database, then clear the log on the source (DELETE FROM ${DDL_LOG} WHERE id <= ${Math.max(...entries.map((e) => e.id))}) and run aurora-migrate apply again`
  );
}
