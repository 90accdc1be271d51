// The rehearsal binds 127.0.0.1 only, so it runs on the laptops users have (macOS has no other
// loopback address unless someone aliases more by hand). Checked on what really listens: every
// socket in LISTEN state held by a rehearsal PostgreSQL server (a primary and its streaming standby)
// or by this process (the AWS stand-in, the application's forwarder) is on 127.0.0.1; the servers
// are reached through distinct spellings of that address, which name exactly one server each.
// Linux only (it reads /proc); elsewhere it is skipped.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOOPBACK,
  LOOPBACK_SPELLINGS,
  startSourceServer,
  startStandby,
  stopAll,
  type PgServer,
} from '../../../rehearsal/postgres/cluster.js';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startForwarder, type Forwarder } from '../../../rehearsal/app/forwarder.js';

const linux = existsSync('/proc/net/tcp');
let source: PgServer;
let standby: PgServer;
let aws: AwsStandin;
let forwarder: Forwarder;

beforeAll(async () => {
  if (!linux) return;
  source = await startSourceServer();
  standby = await startStandby(source, { slot: 'loopback_check' });
  aws = await startAwsStandin({});
  forwarder = await startForwarder({
    recordName: 'app.example.com',
    lookup: async () => undefined,
    resolve: () => undefined,
    port: 0,
  });
}, 120_000);
afterAll(async () => {
  await forwarder?.stop();
  await aws?.close();
  await stopAll();
}, 60_000);

/** "0100007F:1F90" → { ip: '127.0.0.1', port: 8080 } (IPv4 in /proc/net/tcp is little-endian hex). */
function decode(hex: string): { ip: string; port: number } {
  const [addr, port] = hex.split(':');
  if (addr.length !== 8)
    return {
      ip:
        addr === '00000000000000000000000000000000'
          ? '::'
          : addr === '00000000000000000000000001000000'
            ? '::1'
            : `ipv6:${addr}`,
      port: parseInt(port, 16),
    };
  const bytes = addr
    .match(/../g)!
    .map((b) => parseInt(b, 16))
    .reverse();
  return { ip: bytes.join('.'), port: parseInt(port, 16) };
}

/** Local addresses of the LISTEN sockets a process holds. */
function listening(pid: number | 'self'): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(`/proc/${pid}/fd`, fd)));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue;
      const { ip, port } = decode(f[1]);
      out.push(`${ip}:${port}`);
    }
  }
  return out;
}

const postmasterPid = (s: PgServer) => Number(readFileSync(join(s.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

describe.skipIf(!linux)('the rehearsal listens on 127.0.0.1 only', () => {
  it('every PostgreSQL server of the rehearsal, standby included', () => {
    for (const s of [source, standby]) {
      const sockets = listening(postmasterPid(s));
      expect(sockets, `${s.role} ${s.address}:${s.port}`).toEqual([`${LOOPBACK}:${s.port}`]);
    }
  });

  it('the AWS stand-in and the forwarder', () => {
    const mine = listening('self');
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.filter((a) => !a.startsWith(`${LOOPBACK}:`))).toEqual([]);
    expect(mine).toContain(`${LOOPBACK}:${forwarder.port}`);
    expect(mine).toContain(`${LOOPBACK}:${new URL(aws.endpoint).port}`);
  });

  it('servers are reached through distinct spellings of 127.0.0.1, each naming one server', async () => {
    expect(source.address).not.toBe(standby.address);
    for (const s of [source, standby]) expect(LOOPBACK_SPELLINGS).toContain(s.address);
    // The spelling really reaches that server (libpq, for the standby's streaming, and pg, for this query).
    expect((await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);
    expect((await source.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
    expect(new Set(LOOPBACK_SPELLINGS).size).toBe(LOOPBACK_SPELLINGS.length);
  });
});
