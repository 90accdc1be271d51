// The master user of a new, empty Aurora cluster in the rehearsal, made as RDS makes it (AWS's
// "Understanding the rds_superuser role"): LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE
// NOREPLICATION, a member of `rds_superuser` — here a stand-in role holding pg_signal_backend and
// pg_read_all_stats (and pg_create_subscription on 16+) — logging in with its password over
// scram-sha-256, while the stand-in's own superuser `postgres` keeps trust on loopback.
// One function, so it can give way to the rehearsal's shared RDS-roles helper.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgServer } from '../postgres/cluster.js';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function setUpMasterUser(server: PgServer, username: string, password: string): Promise<void> {
  const grants = ['pg_signal_backend', 'pg_read_all_stats', ...(server.major >= 16 ? ['pg_create_subscription'] : [])];
  await server.query(`CREATE ROLE rds_superuser NOLOGIN`);
  await server.query(`GRANT ${grants.join(', ')} TO rds_superuser`);
  // The password goes to the server as SCRAM (password_encryption's default); never logged here.
  await server.query(`CREATE ROLE ${quoteIdent(username)} LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE NOREPLICATION PASSWORD ${quoteLiteral(password)}`);
  await server.query(`GRANT rds_superuser TO ${quoteIdent(username)}${server.major >= 16 ? ' WITH ADMIN OPTION' : ''}`);
  // Like RDS: the master user owns nothing it did not create, but may use the postgres database.
  await server.query(`GRANT ALL ON DATABASE postgres TO rds_superuser`);
  await writeFile(
    join(server.dataDir, 'pg_hba.conf'),
    [
      'local all postgres trust',
      'host all postgres 127.0.0.0/8 trust',
      'host replication all 127.0.0.0/8 scram-sha-256',
      'host all all 127.0.0.0/8 scram-sha-256',
      '',
    ].join('\n'),
  );
  await server.query(`select pg_reload_conf()`);
}
