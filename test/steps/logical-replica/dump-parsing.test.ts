// The pieces of the schema copy that read pg_dump's and pg_dumpall's text: what is kept, in which
// order, and what is refused or left out.
import { describe, expect, it } from 'vitest';
import { keyEntries, parseDump, preDataEntries } from '../../../src/steps/logical-replica/dump.js';
import { parseRoles } from '../../../src/steps/logical-replica/roles.js';
import { conninfo, replicationName } from '../../../src/steps/logical-replica/spec.js';
import { createSubscriptionSql } from '../../../src/steps/logical-replica/subscription.js';
import { redact, sqlForms } from '../../../src/plan/values.js';

const DUMP = `--
-- PostgreSQL database dump
--

\\restrict abc123

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA public;


ALTER SCHEMA public OWNER TO postgres;

--
-- Name: billing; Type: SCHEMA; Schema: -; Owner: app
--

CREATE SCHEMA billing;


ALTER SCHEMA billing OWNER TO app;

--
-- Name: jobs; Type: TABLE; Schema: billing; Owner: rdsadmin
--

CREATE TABLE billing.jobs (id int);


ALTER TABLE billing.jobs OWNER TO rdsadmin;

--
-- Name: SCHEMA billing; Type: ACL; Schema: -; Owner: app
--

GRANT ALL ON SCHEMA billing TO app;

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, created);

--
-- Name: events_2025 events_2025_pkey; Type: CONSTRAINT; Schema: public; Owner: app
--

ALTER TABLE ONLY public.events_2025
    ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, created);

--
-- Name: orders_customer_idx; Type: INDEX; Schema: public; Owner: app
--

CREATE INDEX orders_customer_idx ON public.orders USING btree (customer_id);

--
-- Name: events_2025_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2025_pkey;

--
-- Name: orders_customer_idx2; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.x ATTACH PARTITION public.orders_customer_idx2;

--
-- PostgreSQL database dump complete
--

\\unrestrict abc123
`;

describe('pg_dump output as data', () => {
  const dump = parseDump(DUMP);

  it('splits it into entries with name, type and owner, dropping \\restrict lines', () => {
    expect(dump.entries.map((e) => `${e.type} ${e.name} (${e.owner})`)).toEqual([
      'SCHEMA public (postgres)',
      'SCHEMA billing (app)',
      'TABLE jobs (rdsadmin)',
      'ACL SCHEMA billing (app)',
      'CONSTRAINT events events_pkey (app)',
      'CONSTRAINT events_2025 events_2025_pkey (app)',
      'INDEX orders_customer_idx (app)',
      'INDEX ATTACH events_2025_pkey (-)',
      'INDEX ATTACH orders_customer_idx2 (-)',
    ]);
    expect(dump.prologue).toBe("SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);");
    expect(JSON.stringify(dump)).not.toContain('restrict');
  });

  it('refuses any other psql meta-command', () => {
    expect(() => parseDump(`--\n-- Name: t; Type: TABLE; Schema: public; Owner: app\n--\n\\! rm -rf /\n`)).toThrow(
      /psql meta-command the tool does not replay: \\! rm/,
    );
  });

  it('pre-data for a master user: the target keeps its own public schema, schema privileges first, no OWNER TO a role out of reach', () => {
    const entries = preDataEntries(dump, (role) => role === 'rdsadmin' || role === 'postgres');
    expect(entries.map((e) => `${e.type} ${e.name}`).slice(0, 3)).toEqual([
      'SCHEMA billing',
      'ACL SCHEMA billing',
      'TABLE jobs',
    ]);
    expect(entries.find((e) => e.name === 'jobs')!.sql).toBe('CREATE TABLE billing.jobs (id int);');
    expect(entries.find((e) => e.name === 'billing')!.sql).toContain('ALTER SCHEMA billing OWNER TO app;');
  });

  it('the keys before the copy: primary keys and their partition attachments, not other indexes', () => {
    expect(keyEntries(dump).map((e) => e.name)).toEqual([
      'events events_pkey',
      'events_2025 events_2025_pkey',
      'events_2025_pkey',
    ]);
  });
});

describe('pg_dumpall --roles-only as data', () => {
  const roles = parseRoles(`
CREATE ROLE app;
ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20 VALID UNTIL '2030-01-01 00:00:00+00';
CREATE ROLE "Report Reader";
ALTER ROLE "Report Reader" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION BYPASSRLS;
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
ALTER ROLE app SET search_path TO 'app', 'public';
GRANT "Report Reader" TO app GRANTED BY postgres;
GRANT app TO master WITH ADMIN OPTION GRANTED BY postgres;
`);

  it('keeps only the attributes a master user may give', () => {
    expect(roles.roles).toEqual([
      {
        name: 'app',
        attributes: [
          'INHERIT',
          'NOCREATEROLE',
          'NOCREATEDB',
          'LOGIN',
          'CONNECTION LIMIT 20',
          "VALID UNTIL '2030-01-01 00:00:00+00'",
        ],
        superuser: false,
        login: true,
      },
      {
        name: 'Report Reader',
        attributes: ['INHERIT', 'NOCREATEROLE', 'NOCREATEDB', 'NOLOGIN'],
        superuser: false,
        login: false,
      },
      { name: 'postgres', attributes: ['INHERIT', 'CREATEROLE', 'CREATEDB', 'LOGIN'], superuser: true, login: true },
    ]);
    expect(roles.grants).toEqual(['GRANT "Report Reader" TO app', 'GRANT app TO master WITH ADMIN OPTION']);
    expect(roles.settings).toEqual([{ role: 'app', sql: "ALTER ROLE app SET search_path TO 'app', 'public';" }]);
  });
});

describe('replication object names', () => {
  it("aurora_migrate_<plan>_<step> in PostgreSQL's alphabet, unique and within 63 bytes when long", () => {
    expect(replicationName('orders-to-aurora', 'replicate')).toBe('aurora_migrate_orders_to_aurora_replicate');
    const long = replicationName('a'.repeat(60), 'step-one');
    expect(long).toHaveLength(63);
    expect(long).not.toBe(replicationName('a'.repeat(60), 'step-two'));
  });
});

describe("the subscription's connection string", () => {
  const conn = {
    host: 'orders-pg.example',
    port: 5432,
    database: 'orders',
    user: 'master',
    password: "it's a \\secret",
  };
  it('quotes a value only when libpq needs it, and masks the password for the log', () => {
    expect(conninfo(conn, false)).toBe(
      "host=orders-pg.example port=5432 dbname=orders user=master password='it\\'s a \\\\secret' application_name=aurora-migrate-subscription",
    );
    // The raw statement (what --verbose traces) is masked in every form the password takes in it.
    const names = { publication: 'p', subscription: 's', slot: 's' };
    const raw = createSubscriptionSql(names, conn, false);
    expect(raw).not.toContain(conn.password);
    expect(redact(raw, sqlForms(conn.password))).toContain("password=''***'' application_name");
    expect(redact(raw, sqlForms(conn.password))).not.toMatch(/secret|it\\/);
    expect(conninfo({ ...conn, ssl: 'require' }, true)).toBe(
      'host=orders-pg.example port=5432 dbname=orders user=master password=*** sslmode=require application_name=aurora-migrate-subscription',
    );
  });
});
