// The environment a CLI process gets in a rehearsal: only what a user would export — the stand-in's
// endpoints, region and dummy keys, the time scale — with its own HOME and no AWS config files, so
// nothing from the machine running the tests leaks in.
import { join } from 'node:path';

export function standinCliEnv(
  standinEnv: Record<string, string>,
  home: string,
  timeScale: number,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    NO_COLOR: '1',
    ...standinEnv,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AURORA_MIGRATE_TIME_SCALE: String(timeScale),
  };
}
