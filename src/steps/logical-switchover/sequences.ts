// Sequences are not replicated (AWS-FACTS "Logical replication"): on the target they keep the value
// the schema copy gave them, and the application's first insert there after the switch would
// collide with a copied row. So, once the target is proven caught up, every sequence of the
// replicated schemas is copied: last_value and is_called read from each sequence itself (not
// pg_sequences, whose NULL hides is_called = false and a missing privilege), moved by the margin in
// the sequence's own direction, never past its bounds, then setval(seq, value, is_called) on the target.
import { quoteIdent } from '../verify-data/names.js';
import type { Sql } from '../logical-replica/session.js';

/** Sequences of the schemas ($1), extension members left out. */
export const SEQUENCES_SQL = `SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S' AND n.nspname = ANY($1::text[])
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2`;

/** The target's bounds and direction of the same sequences. */
export const TARGET_SEQUENCES_SQL = `SELECT n.nspname AS schema, c.relname AS name, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1::text[])`;

export const readSequenceSql = (sqlName: string) => `SELECT last_value::text AS last_value, is_called FROM ${sqlName}`;
export const SETVAL_SQL = 'SELECT setval($1::regclass, $2::bigint, $3::boolean)';

export interface SequenceValue {
  /** "public"."orders_id_seq" */
  sql: string;
  /** public.orders_id_seq */
  display: string;
  lastValue: bigint;
  isCalled: boolean;
}

/**
 * The value to give the target's sequence (pure): the source's, moved `margin` in the direction of
 * `increment`; an error text when it would leave [min, max].
 */
export function shiftedValue(
  v: Pick<SequenceValue, 'lastValue' | 'display'>,
  increment: bigint,
  min: bigint,
  max: bigint,
  margin: bigint,
): { value: bigint } | { problem: string } {
  const value = v.lastValue + (increment < 0n ? -margin : margin);
  if (value > max || value < min) {
    return {
      problem: `sequence ${v.display} would be set to ${value} (source ${v.lastValue}, sequenceMargin ${margin}), outside its bounds [${min}, ${max}]`,
    };
  }
  return { value };
}

export async function readSequences(source: Pick<Sql, 'read'>, schemas: readonly string[]): Promise<SequenceValue[]> {
  const list = await source.read<{ schema: string; name: string }>(SEQUENCES_SQL, [schemas]);
  const out: SequenceValue[] = [];
  for (const s of list) {
    const sql = `${quoteIdent(s.schema)}.${quoteIdent(s.name)}`;
    const [row] = await source.read<{ last_value: string; is_called: boolean }>(readSequenceSql(sql));
    out.push({ sql, display: `${s.schema}.${s.name}`, lastValue: BigInt(row.last_value), isCalled: row.is_called });
  }
  return out;
}

/** Sets every sequence on the target; fails (before setting any) naming each one that is missing there or would pass its bounds. */
export async function copySequences(
  target: Pick<Sql, 'read' | 'exec'>,
  schemas: readonly string[],
  values: readonly SequenceValue[],
  margin: number,
): Promise<number> {
  const rows = await target.read<{ schema: string; name: string; increment: string; min: string; max: string }>(
    TARGET_SEQUENCES_SQL,
    [schemas],
  );
  const bounds = new Map(rows.map((r) => [`${quoteIdent(r.schema)}.${quoteIdent(r.name)}`, r]));
  const problems: string[] = [];
  const plan: Array<{ v: SequenceValue; value: bigint }> = [];
  for (const v of values) {
    const b = bounds.get(v.sql);
    if (!b) {
      problems.push(`sequence ${v.display} does not exist on the target`);
      continue;
    }
    const r = shiftedValue(v, BigInt(b.increment), BigInt(b.min), BigInt(b.max), BigInt(margin));
    if ('problem' in r) problems.push(r.problem);
    else plan.push({ v, value: r.value });
  }
  if (problems.length) throw new Error(`${problems.join('; ')}. No sequence was changed`);
  for (const { v, value } of plan) await target.exec(SETVAL_SQL, [v.sql, value.toString(), v.isCalled]);
  return plan.length;
}
