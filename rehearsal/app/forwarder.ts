// The application's DNS name, played by a local TCP forwarder. For each NEW connection it looks up
// the CNAME record of `recordName` (by default with the real @aws-sdk/client-route-53
// ListResourceRecordSets against the stand-in, AWS_ENDPOINT_URL_ROUTE_53), caches the answer for
// the record's TTL like a stub resolver, maps the record value (an endpoint address such as
// orders-aurora.cluster-….rds.amazonaws.com) to a live server with the injected `resolve`, and pipes
// bytes both ways. Existing connections are never moved (like DNS: a changed record only affects
// new connections). A connection whose name does not resolve is closed at once (the client sees a
// reset, as with a refused connection).
//
//   const fwd = await startForwarder({
//     recordName: 'orders-db.internal.example.com', hostedZoneId: 'Z0123…',
//     awsEnv: aws.env,                                  // or lookup: async (name) => ({ value, ttl })
//     resolve: (address) => aws.resolveEndpoint(address), // → { host, port } | undefined
//     port: 0,                                           // default 15432 (tests use 0)
//   });
//   // connect pg to fwd.host:fwd.port …
//   fwd.route;            // record values used, in order of first use after each change
//   fwd.connectionsByTarget; // { [address]: number of connections forwarded there }
//   await fwd.stop();     // closes the listener and every open socket
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CnameAnswer {
  /** The record value: an endpoint address (no trailing dot). */
  value: string;
  /** TTL in seconds. */
  ttl: number;
}

export type CnameLookup = (name: string) => Promise<CnameAnswer | undefined>;
export type EndpointResolver = (address: string) => { host: string; port: number } | undefined;

export interface ForwarderOptions {
  /** The application's DNS name, e.g. orders-db.internal.example.com. */
  recordName: string;
  /** Hosted zone holding the record (for the Route 53 lookup). */
  hostedZoneId?: string;
  /** Environment with AWS_ENDPOINT_URL_ROUTE_53 (or AWS_ENDPOINT_URL), region and credentials; default process.env. */
  awsEnv?: Record<string, string | undefined>;
  /** Replaces the Route 53 lookup (tests before a stand-in exists, or a custom resolver). */
  lookup?: CnameLookup;
  /** Maps a record value to a live server; undefined = nothing listens there (the connection is closed). */
  resolve: EndpointResolver;
  host?: string;
  /** Default 15432; 0 = any free port. */
  port?: number;
  /** The world's clock runs this many times faster: TTLs are divided by it (like AURORA_MIGRATE_TIME_SCALE). Default 1. */
  timeScale?: number;
  /** Clock for the TTL cache (ms). Default Date.now. */
  now?: () => number;
}

export interface Forwarder {
  host: string;
  port: number;
  /** Record values that new connections were sent to, in order (a new entry each time it changes). */
  readonly route: string[];
  /** Connections forwarded per record value. */
  readonly connectionsByTarget: Record<string, number>;
  /** Connections closed because the name did not resolve or the lookup failed. */
  readonly refused: number;
  /** Currently open client connections. */
  readonly open: number;
  stop(): Promise<void>;
}

export async function startForwarder(options: ForwarderOptions): Promise<Forwarder> {
  const now = options.now ?? Date.now;
  const timeScale = options.timeScale ?? 1;
  const lookup = options.lookup ?? route53Lookup(options);
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const route: string[] = [];
  const connectionsByTarget: Record<string, number> = {};
  let refused = 0;
  let cache: { answer: CnameAnswer | undefined; expires: number } | undefined;
  let inflight: Promise<CnameAnswer | undefined> | undefined;
  let stopping = false;

  const answer = async (): Promise<CnameAnswer | undefined> => {
    if (cache && now() < cache.expires) return cache.answer;
    // Concurrent new connections share one lookup, as a resolver would.
    inflight ??= lookup(options.recordName)
      .then((a) => {
        // A negative answer is cached briefly (1 s of world time), a positive one for its TTL.
        cache = { answer: a, expires: now() + ((a ? a.ttl : 1) * 1000) / timeScale };
        return a;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const refuse = (client: Socket) => {
    refused++;
    client.resetAndDestroy();
  };

  const server: Server = createServer((client) => {
    track(client);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    if (stopping) return client.destroy();
    client.pause();
    answer().then(
      (a) => {
        const target = a ? options.resolve(a.value) : undefined;
        if (!a || !target || client.destroyed) return refuse(client);
        if (route[route.length - 1] !== a.value) route.push(a.value);
        connectionsByTarget[a.value] = (connectionsByTarget[a.value] ?? 0) + 1;
        const upstream = connect({ host: target.host, port: target.port });
        track(upstream);
        upstream.on('error', () => client.resetAndDestroy());
        client.on('error', () => upstream.destroy());
        upstream.on('connect', () => {
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
        });
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      },
      () => refuse(client),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 15432, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('forwarder: no TCP address');

  return {
    host: address.address,
    port: address.port,
    route,
    connectionsByTarget,
    get refused() {
      return refused;
    },
    get open() {
      return clients.size;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** CNAME lookup through the real Route 53 client: ListResourceRecordSets starting at the name. */
export function route53Lookup(options: Pick<ForwarderOptions, 'hostedZoneId' | 'awsEnv'>): CnameLookup {
  const env = options.awsEnv ?? process.env;
  let client: Promise<import('@aws-sdk/client-route-53').Route53Client> | undefined;
  return async (name) => {
    if (!options.hostedZoneId) throw new Error('forwarder: hostedZoneId is needed for the Route 53 lookup');
    const sdk = await import('@aws-sdk/client-route-53');
    client ??= Promise.resolve(
      new sdk.Route53Client({
        endpoint: env.AWS_ENDPOINT_URL_ROUTE_53 ?? env.AWS_ENDPOINT_URL,
        region: env.AWS_REGION ?? 'us-east-1',
        maxAttempts: 1,
        credentials:
          env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
            ? {
                accessKeyId: env.AWS_ACCESS_KEY_ID,
                secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
                sessionToken: env.AWS_SESSION_TOKEN,
              }
            : undefined,
      }),
    );
    const fq = fqdn(name);
    const res = await (await client).send(
      new sdk.ListResourceRecordSetsCommand({
        HostedZoneId: options.hostedZoneId,
        StartRecordName: fq,
        StartRecordType: 'CNAME',
        MaxItems: 1,
      }),
    );
    const set = res.ResourceRecordSets?.[0];
    if (!set || fqdn(set.Name ?? '') !== fq || set.Type !== 'CNAME') return undefined;
    const value = set.ResourceRecords?.[0]?.Value;
    if (!value) return undefined;
    return { value: value.replace(/\.$/, ''), ttl: set.TTL ?? 300 };
  };
}

const fqdn = (name: string) => {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
};
