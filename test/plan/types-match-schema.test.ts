// src/plan/types.ts and schemas/plan.schema.json must describe the same plan. The tables below are
// checked by the compiler against types.ts (every field, and whether it is optional), and by this test
// against the schema (same property names, same `required`). Editing one side only fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  ConnectionSpec,
  GuardSpec,
  ImportTableSpec,
  InstanceSpec,
  LogicalReplicaSpec,
  LogicalReplicationParameters,
  PlanFile,
  ReverseReplicationSpec,
  S3ExportSpec,
  S3ImportSpec,
  S3Location,
  SourceGuardSpec,
  StepSpec,
  StepType,
} from '../../src/plan/types.js';

// biome-ignore lint/complexity/noBannedTypes: `{} extends Pick<T, K>` is the idiom for "K is optional in T"; `{}` is the empty object type here, not "any value".
type Presence<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? 'optional' : 'required' };
type StepTable = { [T in StepType]: Presence<Extract<StepSpec, { type: T }>> };

const common = { id: 'required', type: 'required', description: 'optional', timeout: 'optional' } as const;
const newCluster = {
  cluster: 'required',
  engineVersion: 'optional',
  instance: 'required',
  subnetGroup: 'optional',
  securityGroups: 'optional',
  kmsKeyId: 'optional',
  tags: 'optional',
} as const;

const STEPS: StepTable = {
  'snapshot-migrate': { ...common, source: 'optional', snapshot: 'optional', ...newCluster },
  'aurora-read-replica': { ...common, source: 'required', ...newCluster },
  'lag-watch': {
    ...common,
    replica: 'required',
    source: 'optional',
    maxLag: 'optional',
    stableFor: 'optional',
    pollEvery: 'optional',
    guards: 'optional',
  },
  approval: { ...common, message: 'required', approvers: 'optional', required: 'optional' },
  promote: { ...common, cluster: 'required', replica: 'optional', maxLag: 'optional', replicaConnection: 'optional' },
  's3-import': {
    ...common,
    connection: 'required',
    cluster: 'optional',
    iamRole: 'optional',
    credentials: 'optional',
    concurrency: 'optional',
    onError: 'optional',
    tables: 'required',
  },
  's3-export': { ...common, connection: 'required', query: 'required', to: 'required', options: 'optional' },
  'cluster-export': {
    ...common,
    cluster: 'required',
    bucket: 'required',
    prefix: 'optional',
    iamRole: 'required',
    kmsKey: 'required',
    only: 'optional',
    exportId: 'optional',
  },
  'verify-data': {
    ...common,
    source: 'required',
    target: 'required',
    tables: 'optional',
    schemas: 'optional',
    sequences: 'optional',
    checksum: 'optional',
  },
  'freeze-writes': {
    ...common,
    connection: 'required',
    databases: 'required',
    fence: 'optional',
    allowRoles: 'optional',
    waitForSlot: 'optional',
    drainTimeout: 'optional',
    window: 'optional',
  },
  'switch-endpoint': { ...common, hostedZoneId: 'required', record: 'required', target: 'required', ttl: 'optional' },
  'lift-fence': { ...common, connection: 'required', databases: 'required' },
  'enable-logical-replication': {
    ...common,
    instance: 'required',
    parameterGroup: 'required',
    reboot: 'optional',
    parameters: 'optional',
    shared: 'optional',
  },
  'aurora-cluster': {
    ...common,
    ...newCluster,
    engineVersion: 'required',
    masterUsername: 'required',
    masterPassword: 'required',
    clusterParameterGroup: 'required',
  },
  'logical-replica': {
    ...common,
    source: 'required',
    target: 'required',
    schemas: 'optional',
    tables: 'optional',
    schema: 'optional',
    maxLag: 'optional',
    stableFor: 'optional',
    pollEvery: 'optional',
    instance: 'optional',
    guards: 'optional',
    maxSlotLag: 'optional',
    onGuardTrip: 'optional',
    rolePasswords: 'optional',
    rolesReady: 'optional',
    publisherEndpoint: 'optional',
    replicaIdentityFull: 'optional',
    largeObjects: 'optional',
    ddlGuardConnection: 'optional',
  },
  'drop-replication': {
    ...common,
    connection: 'required',
    subscriptions: 'optional',
    publications: 'optional',
    slots: 'optional',
    ddlGuard: 'optional',
  },
  'logical-switchover': {
    ...common,
    subscription: 'required',
    source: 'required',
    target: 'required',
    sequenceMargin: 'optional',
    rolePasswords: 'optional',
    rolesReady: 'optional',
    reversePublication: 'optional',
  },
  'reverse-replication': {
    ...common,
    source: 'required',
    target: 'required',
    subscription: 'optional',
    reverseSlot: 'optional',
    publisherEndpoint: 'optional',
    maxLag: 'optional',
  },
};

const NESTED: Record<string, Record<string, 'required' | 'optional'>> = {
  '#': {
    version: 'required',
    name: 'required',
    description: 'optional',
    region: 'optional',
    state: 'optional',
    vars: 'optional',
    notify: 'optional',
    steps: 'required',
  } satisfies Presence<PlanFile>,
  '#/properties/state': { s3: 'required' } satisfies Presence<NonNullable<PlanFile['state']>>,
  '#/$defs/instance': {
    class: 'required',
    id: 'optional',
    publiclyAccessible: 'optional',
  } satisfies Presence<InstanceSpec>,
  '#/$defs/connection': {
    host: 'required',
    port: 'optional',
    database: 'required',
    user: 'required',
    password: 'optional',
    ssl: 'optional',
  } satisfies Presence<ConnectionSpec>,
  '#/$defs/guard': {
    metric: 'required',
    on: 'required',
    below: 'optional',
    above: 'optional',
  } satisfies Presence<GuardSpec>,
  '#/$defs/importTable': {
    table: 'required',
    columns: 'optional',
    options: 'required',
    from: 'required',
    expectRows: 'optional',
  } satisfies Presence<ImportTableSpec>,
  '#/$defs/importTable/properties/from': {
    bucket: 'required',
    region: 'required',
    keys: 'optional',
    prefix: 'optional',
  } satisfies Presence<S3Location>,
  '#/$defs/credentials': {
    accessKeyId: 'required',
    secretAccessKey: 'required',
    sessionToken: 'optional',
  } satisfies Presence<NonNullable<S3ImportSpec['credentials']>>,
  '#/$defs/step-s3-export/properties/to': {
    bucket: 'required',
    path: 'required',
    region: 'required',
  } satisfies Presence<S3ExportSpec['to']>,
  '#/$defs/sourceGuard': {
    metric: 'required',
    on: 'required',
    below: 'optional',
    above: 'optional',
  } satisfies Presence<SourceGuardSpec>,
  '#/$defs/step-logical-replica/properties/publisherEndpoint': {
    host: 'required',
    port: 'optional',
  } satisfies Presence<NonNullable<LogicalReplicaSpec['publisherEndpoint']>>,
  '#/$defs/step-reverse-replication/properties/publisherEndpoint': {
    host: 'required',
    port: 'optional',
  } satisfies Presence<NonNullable<ReverseReplicationSpec['publisherEndpoint']>>,
  '#/$defs/step-enable-logical-replication/properties/parameters': {
    max_replication_slots: 'optional',
    max_wal_senders: 'optional',
    max_logical_replication_workers: 'optional',
  } satisfies Presence<LogicalReplicationParameters>,
};

type SchemaNode = {
  properties?: Record<string, SchemaNode & { description?: string; $ref?: string }>;
  required?: string[];
  additionalProperties?: unknown;
  type?: unknown;
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  description?: string;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
};
const schema = JSON.parse(
  readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'),
) as SchemaNode & { $defs: Record<string, SchemaNode> };

function at(pointer: string): SchemaNode {
  let node: unknown = schema;
  for (const seg of pointer.replace(/^#\/?/, '').split('/').filter(Boolean))
    node = (node as Record<string, unknown>)[seg];
  if (!node) throw new Error(`no schema node at ${pointer}`);
  return node as SchemaNode;
}

function presenceOf(node: SchemaNode): Record<string, 'required' | 'optional'> {
  const required = new Set(node.required ?? []);
  return Object.fromEntries(
    Object.keys(node.properties ?? {}).map((k) => [k, required.has(k) ? 'required' : 'optional']),
  );
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe('plan types and schema agree', () => {
  it('the schema has exactly the step types of types.ts, selected by `type`', () => {
    const refs = (schema.$defs.step.oneOf ?? []).map((s) => s.$ref);
    expect(refs.sort()).toEqual(
      Object.keys(STEPS)
        .map((t) => `#/$defs/step-${t}`)
        .sort(),
    );
    expect([...(schema.$defs.step.properties!.type.enum as string[])].sort()).toEqual(Object.keys(STEPS).sort());
  });

  for (const [type, fields] of Object.entries(STEPS)) {
    it(`step ${type}: same fields, same required fields, type const`, () => {
      const node = at(`#/$defs/step-${type}`);
      expect(sorted(presenceOf(node))).toEqual(sorted(fields));
      expect(node.properties!.type.const).toBe(type);
      expect(node.additionalProperties).toBe(false);
    });
  }

  for (const [pointer, fields] of Object.entries(NESTED)) {
    it(`${pointer}: same fields, same required fields`, () => {
      expect(sorted(presenceOf(at(pointer)))).toEqual(sorted(fields));
    });
  }

  it('onError on s3-import is stop|continue, default stop', () => {
    const onError = at('#/$defs/step-s3-import/properties/onError') as SchemaNode & { default?: unknown };
    expect(onError.enum).toEqual(['stop', 'continue']);
    expect(onError.default).toBe('stop');
  });
});

describe('schema manners', () => {
  const walk = (node: unknown, path: string, visit: (n: SchemaNode, path: string) => void): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as SchemaNode & Record<string, unknown>;
    visit(n, path);
    for (const [k, v] of Object.entries(n)) {
      if (k === 'properties')
        for (const [p, child] of Object.entries(v as object)) walk(child, `${path}/properties/${p}`, visit);
      else if (k === 'enum' || k === 'examples' || k === 'const' || k === 'default' || k === 'required') continue;
      else if (Array.isArray(v)) for (const [i, child] of v.entries()) walk(child, `${path}/${k}/${i}`, visit);
      else if (typeof v === 'object') walk(v, `${path}/${k}`, visit);
    }
  };

  it('every property has a description (editors show it)', () => {
    const missing: string[] = [];
    walk(schema, '#', (n, path) => {
      for (const [name, prop] of Object.entries(n.properties ?? {}))
        if (!prop.description) missing.push(`${path}/properties/${name}`);
    });
    expect(missing).toEqual([]);
  });

  it('every object with fixed properties forbids unknown keys', () => {
    const open: string[] = [];
    walk(schema, '#', (n, path) => {
      if (n.properties && path !== '#/$defs/step' && n.additionalProperties !== false) open.push(path);
    });
    expect(open).toEqual([]);
  });

  it('is draft 2020-12', () => {
    expect((schema as { $schema?: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});
