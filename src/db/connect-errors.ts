// Why a connection attempt failed, in words a user can act on: where we tried to connect, what the
// server or network said, and what to check. Never includes the password (callers scrub as well).
import type { ResolvedConnection } from './api.js';

const CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function connectFailureMessage(conn: ResolvedConnection, err: unknown, timeoutMs: number): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const said = typeof e?.message === 'string' ? e.message : String(err);
  const where = `PostgreSQL at ${conn.host}:${conn.port} (database "${conn.database}", user "${conn.user}")`;
  const head = `could not connect to ${where}`;

  switch (code) {
    case 'ECONNREFUSED':
      return `${head}: connection refused. Check connection.host and connection.port, that the server is running, and that nothing blocks the port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${head}: host "${conn.host}" was not found (DNS). Check connection.host; for Aurora use the cluster (writer) endpoint, e.g. <cluster>.cluster-xxxx.<region>.rds.amazonaws.com.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${head}: the network did not answer (${code}). Check the security group and network ACLs allow this machine on port ${conn.port}, and that you are inside the VPC (or the cluster is publicly accessible).`;
    case '28P01':
      return `${head}: password authentication failed for user "${conn.user}". Check connection.password (it comes from the environment, e.g. \${env.PGPASSWORD}) and connection.user.`;
    case '28000':
      return (
        `${head}: the server refused the login: ${said}. ` +
        (/no encryption|SSL off/i.test(said)
          ? 'The server requires TLS: set connection.ssl to verify-full (or require).'
          : "Check pg_hba.conf / the user's rights (and for IAM authentication, that the user has rds_iam).")
      );
    case '3D000':
      return `${head}: the database "${conn.database}" does not exist. Check connection.database.`;
    case '53300':
      return `${head}: the server has too many connections. Lower the step's concurrency or raise max_connections.`;
    case '57P03':
      return `${head}: the server is starting up or shutting down (${said}). Wait until it is available, then run apply again.`;
  }
  if (CERT_CODES.has(code)) {
    return (
      `${head}: the server's TLS certificate could not be verified (${code}: ${said}). ` +
      'For Amazon RDS/Aurora, download the RDS CA bundle (global-bundle.pem) and point NODE_EXTRA_CA_CERTS at it; ' +
      'or set connection.ssl: require to encrypt without verifying the certificate.'
    );
  }
  if (/does not support SSL/i.test(said)) {
    return `${head}: the server does not accept TLS connections. Set connection.ssl to false (or enable TLS on the server).`;
  }
  if (/timeout/i.test(said)) {
    return `${head}: no answer within ${Math.round(timeoutMs / 1000)}s. Check the security group and network ACLs allow this machine on port ${conn.port}, and that you are inside the VPC (or the cluster is publicly accessible).`;
  }
  return `${head}: ${said}. Check the step's connection settings.`;
}
