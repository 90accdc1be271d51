// Benchmark (not a test): median wall time of `aurora-migrate validate <replica example>` against
// `node -e 0`, run alternately so both see the same machine load. Goal: at most 1.5x.
//   npm run bench:validate [-- --runs 20]
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const plan = 'plans/replica-with-backfill.yaml';

if (!existsSync(`${root}/dist/cli/main.cjs`)) {
  process.stderr.write('dist/ is missing: run `npm run build` first (npm ci does it).\n');
  process.exit(1);
}

function time(args: string[], expectCode = 0): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The CLI starts from the V8 code cache `npm run build` wrote for the Node that built it
// (bin/load-cli.js); under another Node it compiles everything and this figure is not the one to record.
const probe = spawnSync(
  process.execPath,
  ['-e', "process.stdout.write(String(require('./bin/load-cli.js').loadCli().cacheUsed))"],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
const cacheUsed = probe.stdout === 'true';

// Warm the file system cache once, then alternate.
time(['-e', '0']);
time(['bin/aurora-migrate.js', 'validate', plan]);
const baseline: number[] = [];
const validate: number[] = [];
for (let i = 0; i < runs; i++) {
  baseline.push(time(['-e', '0']));
  validate.push(time(['bin/aurora-migrate.js', 'validate', plan]));
}

const model =
  /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ??
  cpus()[0]?.model ??
  'unknown';
const b = median(baseline);
const v = median(validate);
const ratio = v / b;
process.stdout.write(
  [
    `machine: ${cpus().length} CPUs, ${model}, node ${process.version}, ${process.platform}`,
    `runs: ${runs} each, alternating`,
    `code cache: ${cacheUsed ? 'used' : 'NOT used: run `npm run build` with this Node and these NODE_OPTIONS first'}`,
    `node -e 0:                          median ${b.toFixed(1)} ms (min ${Math.min(...baseline).toFixed(1)})`,
    `aurora-migrate validate ${plan}: median ${v.toFixed(1)} ms (min ${Math.min(...validate).toFixed(1)})`,
    `ratio: ${ratio.toFixed(2)}x (goal <= 1.5x) ${ratio <= 1.5 ? 'OK' : 'OVER GOAL'}`,
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (a busy machine inflates both, the longer run more)`,
  ].join('\n') + '\n',
);
