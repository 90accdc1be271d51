// Compatibility of the source with Aurora PostgreSQL: engine versions ("16.4", "11.22-rds.20240509",
// "9.6.22") — the Aurora version must be the source's or a higher minor of the same major — and the
// checks run() makes on a source instance or snapshot before creating anything.
import { StepFailed } from '../errors.js';
import type { AuroraReadReplicaSpec, SnapshotMigrateSpec } from '../plan/types.js';
import type { DbInstance, DbSnapshot } from './resources.js';

export interface EngineVersion {
  major: string;
  minor: number[];
  text: string;
}

export function parseEngineVersion(text: string): EngineVersion | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  // Before PostgreSQL 10 the major was two numbers (9.6).
  if (first < 10) return { major: `${m[1]}.${m[2] ?? '0'}`, minor: [Number(m[3] ?? 0)], text };
  return { major: m[1], minor: [Number(m[2] ?? 0), Number(m[3] ?? 0)], text };
}

/** undefined when compatible, else the reason. */
export function auroraVersionProblem(sourceVersion: string, auroraVersion: string): string | undefined {
  const s = parseEngineVersion(sourceVersion);
  const a = parseEngineVersion(auroraVersion);
  if (!s || !a) return `cannot compare engine versions "${sourceVersion}" and "${auroraVersion}"`;
  if (s.major !== a.major) {
    return `Aurora engine version ${auroraVersion} is not the same major version as the source's ${sourceVersion} (major ${s.major})`;
  }
  for (let i = 0; i < Math.max(s.minor.length, a.minor.length); i++) {
    const d = (a.minor[i] ?? 0) - (s.minor[i] ?? 0);
    if (d > 0) return undefined;
    if (d < 0)
      return `Aurora engine version ${auroraVersion} is lower than the source's ${sourceVersion}; it must be the same or a higher minor version`;
  }
  return undefined;
}

/** What CreateDBCluster needs to know about the source (placeholders in a dry-run). */
export interface SourceFacts {
  arn: string;
  engineVersion: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** Checks the source is a PostgreSQL instance that can take this replica; returns its facts. */
export function checkSource(spec: AuroraReadReplicaSpec, source: DbInstance | undefined, stepId: string): SourceFacts {
  if (!source)
    throw new StepFailed(
      stepId,
      `source DB instance ${spec.source} was not found in this account and region. Check "source" and "region" in the plan, then run aurora-migrate apply again.`,
    );
  if (source.Engine !== 'postgres')
    throw new StepFailed(
      stepId,
      `source DB instance ${spec.source} runs engine "${source.Engine}", not "postgres"; an Aurora PostgreSQL read replica needs an RDS for PostgreSQL source.`,
    );
  if (!source.DBInstanceArn || !source.EngineVersion)
    throw new StepFailed(
      stepId,
      `DescribeDBInstances returned no ARN or engine version for ${spec.source}; try again later.`,
    );
  if (spec.engineVersion) {
    const problem = auroraVersionProblem(source.EngineVersion, spec.engineVersion);
    if (problem)
      throw new StepFailed(
        stepId,
        `${problem}. Set "engineVersion" to ${source.EngineVersion} or a higher minor version of the same major, or remove it.`,
      );
  }
  return {
    arn: source.DBInstanceArn,
    engineVersion: source.EngineVersion,
    encrypted: source.StorageEncrypted === true,
    kmsKeyId: source.KmsKeyId,
  };
}

/** Checks a snapshot is PostgreSQL and compatible with the wanted Aurora version; returns ARN and version. */
export function checkSnapshot(
  spec: SnapshotMigrateSpec,
  snap: DbSnapshot,
  stepId: string,
): { arn: string; engineVersion: string } {
  const name = snap.DBSnapshotIdentifier;
  if (snap.Engine && snap.Engine !== 'postgres')
    throw new StepFailed(
      stepId,
      `DB snapshot ${name} is of engine "${snap.Engine}", not "postgres"; snapshot-migrate restores RDS for PostgreSQL snapshots into Aurora PostgreSQL.`,
    );
  if (!snap.DBSnapshotArn || !snap.EngineVersion)
    throw new StepFailed(stepId, `DescribeDBSnapshots returned no ARN or engine version for ${name}; try again later.`);
  if (spec.engineVersion) {
    const problem = auroraVersionProblem(snap.EngineVersion, spec.engineVersion);
    if (problem)
      throw new StepFailed(
        stepId,
        `${problem} (snapshot ${name}). Set "engineVersion" to ${snap.EngineVersion} or a higher minor of the same major, or remove it.`,
      );
  }
  return { arn: snap.DBSnapshotArn, engineVersion: snap.EngineVersion };
}
