// What every rehearsal PostgreSQL server needs from the operating system, in one place: a free TCP
// port on a loopback address, and a watchdog that stops the server and removes its folder when this
// process dies without stopping it (SIGKILL of a test). Used by server.ts and cluster.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port that was free on `host` a moment ago (the server binds it right after). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A detached shell that waits (checking every second) for this process to end, then stops the
 * server (SIGINT = fast shutdown), waits for it and removes `root`. Kill it after a clean stop.
 */
export function startWatchdog(root: string, serverPid: number): ChildProcess {
  const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `kill -INT ${serverPid} 2>/dev/null; while kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; rm -rf ${quote(root)}`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}
