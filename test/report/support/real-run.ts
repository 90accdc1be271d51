// Real runs for the report tests: the rehearsal world (the RDS source a real PostgreSQL server, its
// Aurora replica a real streaming standby, S3, Route 53 and SNS in the AWS stand-in) and the REAL
// CLI (bin/aurora-migrate.js in a child process, started in the world's folder, so each plan's state
// is where it is by default):
// - orders.yaml: the demo plan with an SNS notification target: apply (lag watched on the real
//   replica, exit 3 at the gate), then apply --approve gate (freeze, caught-up marker, promotion,
//   verify-data, DNS switch, backfill). Local state and event log under .aurora-migrate/.
// - watch.yaml: a second team's plan, between the two, that watches the same replica's lag with its
//   state in S3 (`state: { s3: … }`): the report reads it through the S3 RunStorage, as status does.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCleanupStack, type CleanupStack } from '../../../rehearsal/world/cleanup-stack.js';
import { runCli, type CliRunResult } from '../../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { DEMO_PLAN, startRehearsalWorld, type RehearsalWorld } from '../../../rehearsal/world/rehearsal-world.js';

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
export const WATCH_STATE = 's3://team-state/orders-watch';

const WATCH_PLAN = `version: 1
name: orders-watch
description: A second team watches the replica's lag; its state is in S3.
region: us-east-1
state: { s3: ${WATCH_STATE} }
steps:
  - id: watch
    type: lag-watch
    replica: orders-aurora-1
    maxLag: 0s
    stableFor: 2m
`;

export interface RealRun {
  world: RehearsalWorld;
  dir: string;
  /** orders.yaml (the demo plan) and its local state. */
  planFile: string;
  statePath: string;
  eventLogPath: string;
  /** watch.yaml, state in S3. */
  watchFile: string;
  env: Record<string, string>;
  /** The RDS-like master user's password the plan's connections carry (PGPASSWORD; new each rehearsal). */
  password: string;
  cleanup: CleanupStack;
  cli(args: string[]): Promise<CliRunResult>;
}

/** Time scale 160 (the demo's is 240): the plan's 5-minute cutover window is then ~1.9 s of real time, room for a loaded CI machine. */
export async function realRun(options: { timeScale?: number } = {}): Promise<RealRun> {
  ensureBuilt();
  const cleanup = createCleanupStack();
  try {
    const world = await startRehearsalWorld({
      timeScale: options.timeScale ?? 160,
      cleanup,
      customers: 300,
      files: 2,
      appPort: 0,
    });
    world.aws.seed({ topics: ['db-migrations'], buckets: ['team-state'] });
    const dir = world.workDir;
    const planFile = path.join(dir, 'orders.yaml');
    writeFileSync(
      planFile,
      readFileSync(DEMO_PLAN, 'utf8').replace(/^region: us-east-1$/m, `region: us-east-1\nnotify: [${TOPIC_ARN}]`),
    );
    const watchFile = path.join(dir, 'watch.yaml');
    writeFileSync(watchFile, WATCH_PLAN);
    const env = { ...world.env, AURORA_MIGRATE_APPROVER: 'alice' };
    const password = world.env.PGPASSWORD;
    if (!password || password.length < 8) throw new Error('the rehearsal world should give the master user a password');
    const cli = (args: string[]) => runCli(args, { env, cwd: dir });
    const expect = async (args: string[], code: number) => {
      const r = await cli(args);
      if (r.code !== code)
        throw new Error(`aurora-migrate ${args.join(' ')}: expected exit ${code}, got ${r.code}:\n${r.stderr}`);
    };
    await expect(['apply', 'orders.yaml'], 3);
    await expect(['apply', 'watch.yaml'], 0);
    await expect(['apply', 'orders.yaml', '--approve', 'gate'], 0);
    const statePath = path.join(dir, '.aurora-migrate', 'orders-to-aurora.state.json');
    return {
      world,
      dir,
      planFile,
      statePath,
      eventLogPath: `${statePath}.events.jsonl`,
      watchFile,
      env,
      password,
      cleanup,
      cli,
    };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}
