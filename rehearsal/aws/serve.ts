// Runs the AWS stand-in as its own process for rehearsals, demos and child-process tests:
//
//   npx tsx rehearsal/aws/serve.ts [--config FILE] [--port N] [--time-scale N]
//       [--region R] [--s3-root DIR] [--start ISO]
//
// The config file is JSON: StandinOptions without functions (seed, durations in ms, metrics,
// faults, exportOutcome, …). Flags win over the file; the environment fills in the rest
// (AWS_STANDIN_CONFIG, AWS_STANDIN_PORT, AURORA_MIGRATE_TIME_SCALE, AWS_STANDIN_S3_ROOT, and
// AWS_STANDIN_RATE_LIMIT: "aws" for AWS's account-wide API rate limits, or JSON, see rate-limit.ts).
// Prints one JSON line on stdout — { endpoint, env, s3Root, region, timeScale } — then serves until
// SIGINT/SIGTERM. Control it over HTTP: see control.ts (/_standin/clock/advance, /_standin/faults, …).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startAwsStandin, type StandinOptions } from './index.js';
import { parseRateLimit } from './rate-limit.js';

function usage(message: string): never {
  process.stderr.write(
    `aws stand-in: ${message}\nusage: tsx rehearsal/aws/serve.ts [--config FILE] [--port N] [--time-scale N] [--region R] [--s3-root DIR] [--start ISO]\n`,
  );
  process.exit(1);
}

/** The flags; a flag it does not know prints the usage and exits 1. */
function readArgs() {
  try {
    return parseArgs({
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        'time-scale': { type: 'string' },
        region: { type: 'string' },
        's3-root': { type: 'string' },
        start: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<void> {
  const args = readArgs();
  const env = process.env;
  const configFile = args.config ?? env.AWS_STANDIN_CONFIG;
  let options: StandinOptions = {};
  if (configFile) {
    try {
      options = JSON.parse(readFileSync(configFile, 'utf8')) as StandinOptions;
    } catch (err) {
      usage(`cannot read config ${configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) usage(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  options.port = num('--port', args.port ?? env.AWS_STANDIN_PORT) ?? options.port;
  options.timeScale = num('--time-scale', args['time-scale'] ?? env.AURORA_MIGRATE_TIME_SCALE) ?? options.timeScale;
  options.region = args.region ?? options.region;
  options.s3Root = args['s3-root'] ?? env.AWS_STANDIN_S3_ROOT ?? options.s3Root;
  try {
    const rateLimit = parseRateLimit(env.AWS_STANDIN_RATE_LIMIT);
    if (rateLimit) options.faults = { ...options.faults, rateLimit };
  } catch (err) {
    usage(`AWS_STANDIN_RATE_LIMIT: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (args.start) options.startTime = Date.parse(args.start);
  else if (typeof options.startTime === 'string') options.startTime = Date.parse(options.startTime);

  const standin = await startAwsStandin(options);
  process.stdout.write(
    JSON.stringify({
      endpoint: standin.endpoint,
      env: standin.env,
      s3Root: standin.s3Root,
      region: standin.region,
      timeScale: standin.clock.timeScale,
    }) + '\n',
  );
  let closing = false;
  const stop = (signal: string) => {
    if (closing) process.exit(130);
    closing = true;
    process.stderr.write(`aws stand-in: ${signal}, closing\n`);
    standin.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`aws stand-in failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
