// Application traffic that UPDATEs and DELETEs as well as INSERTs (rehearsal/world/logical-data.ts's
// orders and its partitioned events), as the application role, on one connection that reconnects
// after any error — through the application's DNS name in the demo, directly in tests. It counts
// each kind of acknowledged change and keeps every error message (never a password: pg does not
// put it in messages). The writer (writer.ts) proves no acknowledged write is lost; this proves the
// replication keeps up with, and the target accepts after the switch, what an application really does.
import pg from 'pg';

export interface ChurnConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
}

export interface Churn {
  counts: { insert: number; update: number; delete: number };
  errors: string[];
  stop(): Promise<void>;
}

export function startChurn(conn: ChurnConnection, options: { everyMs?: number; extra?: string[] } = {}): Churn {
  const counts = { insert: 0, update: 0, delete: 0 };
  const errors: string[] = [];
  let stopped = false;
  let client: pg.Client | undefined;
  const loop = (async () => {
    let i = 0;
    while (!stopped) {
      try {
        if (!client) {
          client = new pg.Client({
            host: conn.host,
            port: conn.port,
            database: conn.database,
            user: conn.user,
            password: conn.password,
            application_name: 'orders-app',
          });
          client.on('error', () => undefined);
          await client.connect();
        }
        i++;
        await client.query(`INSERT INTO orders (customer_id, amount, status) VALUES (1 + $1 % 200, 9.99, 'new')`, [i]);
        counts.insert++;
        const u = await client.query(
          `UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = (SELECT id FROM orders WHERE status = 'new' ORDER BY random() LIMIT 1)`,
        );
        counts.update += u.rowCount ?? 0;
        if (i % 3 === 0) {
          const d = await client.query(
            `DELETE FROM orders WHERE id = (SELECT id FROM orders WHERE status = 'paid' ORDER BY id LIMIT 1)`,
          );
          counts.delete += d.rowCount ?? 0;
        }
        await client.query(`UPDATE events SET payload = payload || '.' WHERE id = $1`, [1 + (i % 500)]);
        for (const sql of options.extra ?? []) await client.query(sql);
      } catch (err) {
        errors.push((err as Error).message);
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      await new Promise((r) => setTimeout(r, options.everyMs ?? 5));
    }
  })();
  return {
    counts,
    errors,
    stop: async () => {
      stopped = true;
      await loop;
      await client?.end().catch(() => undefined);
    },
  };
}
