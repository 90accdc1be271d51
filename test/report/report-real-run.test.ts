// `aurora-migrate report` on real runs (test/report/support/real-run.ts: the demo plan through the real
// CLI against the rehearsal world, and a second plan whose state is in S3). The model's every figure
// is traced back to its event log record; the markdown is pinned (times, paths and counts that vary
// between runs normalised); no secret shows; and the HTML page is opened in a real browser (Debian's
// chromium driven by playwright-core): its charts have one point per lag poll and one bar per step
// attempt, the page makes no request, prints to PDF, and leaves a screenshot in the test's folder.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLog } from '../../src/engine/event-log.js';
import { localRunStorage } from '../../src/engine/run-storage.js';
import { currentUser } from '../../src/engine/lock.js';
import { loadPlan } from '../../src/plan/load.js';
import type { Plan } from '../../src/plan/types.js';
import { readPlanRun } from '../../src/report/read-plan-run.js';
import type { PlanRun } from '../../src/report/model.js';
import { CLI_BIN, REPO_ROOT } from '../../rehearsal/world/cli-runner.js';
import { realRun, TOPIC_ARN, type RealRun } from './support/real-run.js';

let run: RealRun;
let scratch: string;
beforeAll(async () => {
  run = await realRun();
  scratch = mkdtempSync(path.join(tmpdir(), 'am-report-test-'));
}, 90_000);
afterAll(async () => {
  await run?.cleanup.run();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const events = () => parseEventLog(readFileSync(run.eventLogPath, 'utf8'));

async function model(): Promise<PlanRun> {
  const loaded = await loadPlan(run.planFile);
  if (!loaded.ok) throw new Error('plan invalid');
  return readPlanRun(loaded.plan as Plan, 'orders.yaml', localRunStorage(run.statePath));
}

describe('the report model of a real run', () => {
  it('every figure comes from the event log record it names, and agrees with what AWS and the state saw', async () => {
    const m = await model();
    const log = events();
    const at = (ref: number) => log[ref - 1]!;
    expect(m).toMatchObject({ plan: 'orders-to-aurora', outcome: 'finished', eventCount: log.length });

    // Steps: every attempt starts at a status record; the gate waited for its approval.
    expect(m.steps.map((s) => [s.id, s.status, s.runs.length])).toEqual([
      ['replica', 'succeeded', 1],
      ['catch-up', 'succeeded', 1],
      ['gate', 'succeeded', 2],
      ['freeze', 'succeeded', 1],
      ['promote', 'succeeded', 1],
      ['check', 'succeeded', 1],
      ['switch', 'succeeded', 1],
      ['backfill', 'succeeded', 1],
    ]);
    for (const r of m.steps.flatMap((s) => s.runs)) {
      expect(at(r.ref)).toMatchObject({ type: 'status', to: 'running' });
      expect(at(r.endRef!)).toMatchObject({ type: 'status', from: 'running', to: r.endStatus });
    }
    expect(m.steps[2].runs.map((r) => r.endStatus)).toEqual(['awaiting-approval', 'succeeded']);

    // Lag: one sample per poll, each the value its lag-sample record holds.
    const polls = log.filter((e) => e.type === 'lag-sample');
    expect(polls.length).toBeGreaterThan(1);
    expect(m.lag).toHaveLength(1);
    expect(m.lag[0]).toMatchObject({
      stepId: 'catch-up',
      of: 'orders-aurora-1',
      metric: 'RDSToAuroraPostgreSQLReplicaLag',
      unit: 'seconds',
      threshold: 0,
    });
    expect(m.lag[0].samples.map((s) => at(s.ref).value)).toEqual(polls.map((p) => p.value));
    expect(m.lag[0].samples.at(-1)!.value).toBe(0); // the step ended satisfied

    // The cutover: frozen → caught up → promotion sent → promoted → switched, write downtime from the switch.
    expect(m.cutover).toHaveLength(1);
    const w = m.cutover[0];
    expect(w.outcome).toBe('committed');
    expect(w.milestones.map((x) => x.label)).toEqual(['frozen', 'caught up', 'promotion sent', 'promoted', 'switched']);
    expect(w.milestones.map((x) => at(x.ref).type)).toEqual([
      'cutover-window-opened',
      'cutover-caught-up',
      'cutover-point-of-no-return',
      'promoted',
      'switched',
    ]);
    const state = JSON.parse(readFileSync(run.statePath, 'utf8'));
    expect(w.frozenAt).toBe(state.steps.freeze.outputs.frozenAt);
    expect(w.milestones.find((x) => x.label === 'promoted')!.at).toBe(state.steps.promote.outputs.promotedAt);
    expect(w.milestones.find((x) => x.label === 'switched')!.at).toBe(state.steps.switch.outputs.switchedAt);
    expect(w.writeDowntimeSeconds).toBeCloseTo(
      (Date.parse(state.steps.switch.outputs.switchedAt) - Date.parse(w.frozenAt)) / 1000,
      3,
    );
    expect(w.databases).toEqual(['orders']);

    // Approvals, notifications (what the SNS stand-in received), AWS calls (what the stand-in served).
    expect(m.approvals).toEqual([
      expect.objectContaining({ stepId: 'gate', approvedBy: 'alice', source: 'AURORA_MIGRATE_APPROVER', via: 'flag' }),
    ]);
    expect(at(m.approvals[0].ref).type).toBe('approval');
    expect(m.notifications.map((n) => n.event)).toEqual([
      'awaiting-approval',
      'cutover-window-opened',
      'cutover-window-closed',
      'plan-finished',
    ]);
    expect(m.notifications.every((n) => n.sent.length === 1 && n.sent[0].includes(TOPIC_ARN))).toBe(true);
    expect(run.world.aws.sns.received(TOPIC_ARN)).toHaveLength(m.notifications.length);
    const calls = Object.fromEntries(m.awsCalls.map((c) => [c.operation, c.count]));
    expect(calls).toEqual({
      CreateDBCluster: 1,
      CreateDBInstance: 1,
      PromoteReadReplicaDBCluster: 1,
      ChangeResourceRecordSets: 1,
      AddRoleToDBCluster: 1,
    });
    for (const c of m.awsCalls) {
      expect(run.world.aws.calls.count(c.operation)).toBe(c.count);
      for (const ref of c.refs) expect(at(ref)).toMatchObject({ type: 'aws-call', operation: c.operation });
    }
  });
});

/** What varies between runs: times, durations, paths, ids, addresses, counts of polls and records. */
function normalise(text: string): string {
  return text
    .replaceAll(run.dir, '<dir>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<run-id>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, '<time>')
    .replace(/\d\d:\d\d:\d\d\.\d{3}/g, '<clock>')
    .replace(/\b\d+(\.\d+)?s\b/g, '<s>')
    .replace(/#\d+/g, '#n')
    .replace(/\d+ (records|polls|unknown|poll\(s\))/g, 'n $1')
    .replace(/`[▁▂▃▄▅▆▇█ ]+`/g, '<sparkline>')
    .replace(/127\.0+\.0+\.0*1\b/g, '<ip>')
    .replaceAll(`| ${hostname()} |`, '| <host> |')
    .replaceAll(`${currentUser()} at`, '<user> at');
}

describe('aurora-migrate report (real CLI)', () => {
  it('--format markdown: the run for a pull request comment', async () => {
    const r = await run.cli(['report', 'orders.yaml', '--format', 'markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(normalise(r.stdout)).toMatchInlineSnapshot(`
      "# orders-to-aurora: finished

      > Move orders-pg to Aurora through a read replica, with a gated, timed cutover and a DNS switch.

      |  |  |
      |---|---|
      | Plan file | \`orders.yaml\` |
      | State | \`<dir>/.aurora-migrate/orders-to-aurora.state.json\` |
      | Event log | \`<dir>/.aurora-migrate/orders-to-aurora.state.json.events.jsonl\` (n records) |
      | Run id | \`<run-id>\` |
      | Started | <time> |
      | Finished | <time> (<s>) |
      | Runs of apply | <user> at <time> → awaiting-approval (#n); <user> at <time> → succeeded (#n) |

      ## Steps

      | Step | Type | Status | Attempts | Started | Ended | Took | Events |
      |---|---|---|---|---|---|---|---|
      | \`replica\` | aurora-read-replica | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`catch-up\` | lag-watch | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`gate\` | approval | succeeded | 2 | <time> | <time> | <s> | #n–#n |
      | \`freeze\` | freeze-writes | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`promote\` | promote | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`check\` | verify-data | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`switch\` | switch-endpoint | succeeded | 1 | <time> | <time> | <s> | #n–#n |
      | \`backfill\` | s3-import | succeeded | 1 | <time> | <time> | <s> | #n–#n |

      ## Replication lag

      - \`catch-up\`: RDSToAuroraPostgreSQLReplicaLag of \`orders-aurora-1\`, n polls (#n–#n), n unknown: <sparkline> last <s>, highest <s> at <clock> (#n), maxLag <s>

      ## Cutover window

      Opened by \`freeze\` (databases orders), deadline <time>, outcome **committed**. **Write downtime <s>** (freeze → DNS change INSYNC, #n).

      | Milestone | At | Since the freeze | Step | Detail | Event |
      |---|---|---|---|---|---|
      | frozen | <time> | +<s> | \`freeze\` |  | #n |
      | caught up | <time> | +<s> | \`promote\` | marker seen on the replica after n poll(s) | #n |
      | promotion sent | <time> | +<s> | \`promote\` | point of no return: PromoteReadReplicaDBCluster sent | #n |
      | promoted | <time> | +<s> | \`promote\` |  | #n |
      | switched | <time> | +<s> | \`switch\` | orders-db.internal.example.com → <ip> (INSYNC) | #n |

      ## Approvals

      | Step | Approved by | Identity from | How | At | Host | Event |
      |---|---|---|---|---|---|---|
      | \`gate\` | alice | AURORA_MIGRATE_APPROVER | --approve | <time> | <host> | #n |

      ## Notifications

      | Event | At | Sent to | Failed | Event |
      |---|---|---|---|---|
      | awaiting-approval | <time> | SNS topic arn:aws:sns:us-east-1:111122223333:db-migrations | — | #n |
      | cutover-window-opened | <time> | SNS topic arn:aws:sns:us-east-1:111122223333:db-migrations | — | #n |
      | cutover-window-closed | <time> | SNS topic arn:aws:sns:us-east-1:111122223333:db-migrations | — | #n |
      | plan-finished | <time> | SNS topic arn:aws:sns:us-east-1:111122223333:db-migrations | — | #n |

      ## AWS calls

      Calls that change something, by operation, as the event log records them (reads are not logged).

      | Service | Operation | Calls | Events |
      |---|---|---|---|
      | rds | AddRoleToDBCluster | 1 | #n |
      | rds | CreateDBCluster | 1 | #n |
      | rds | CreateDBInstance | 1 | #n |
      | rds | PromoteReadReplicaDBCluster | 1 | #n |
      | route53 | ChangeResourceRecordSets | 1 | #n |

      <sub>Generated <time> by aurora-migrate report. #N: the N-th record of the plan's event log; "state": read from the state file.</sub>
      "
    `);
  });

  it('two plans, one with its state in S3: one page, a row and a small lag chart per plan', async () => {
    const r = await run.cli(['report', 'orders.yaml', 'watch.yaml', '--format', 'markdown']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| orders-(to-aurora|watch) \|/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/\| finished \|.*\| \d+(\.\d+)?s \(#\d+\) \| `[▁-█ ]+` 0s \|$/);
    expect(rows[1]).toMatch(/^\| orders-watch \| finished \|.*\| — \| `[▁-█ ]+` 0s \|$/);
    expect(r.stdout).toContain('| State | `s3://team-state/orders-watch` |');
    expect(r.stdout).toContain('| Event log | `s3://team-state/orders-watch.events/`');
    expect(r.stdout).toMatch(/- `watch`: RDSToAuroraPostgreSQLReplicaLag of `orders-aurora-1`, \d+ polls/);
  });

  it("no secret appears: not the master password the plan's connections carry, not even one an older log kept unredacted", async () => {
    const html = await run.cli(['report', 'orders.yaml']);
    const md = await run.cli(['report', 'orders.yaml', '--format', 'markdown']);
    expect(html.code).toBe(0);
    expect(html.stdout).toContain('<svg');
    for (const text of [
      html.stdout,
      md.stdout,
      readFileSync(run.statePath, 'utf8'),
      readFileSync(run.eventLogPath, 'utf8'),
    ])
      expect(text).not.toContain(run.password);

    // A log with the password in a message (as a tool with a redaction bug would have written it).
    const dir = path.join(scratch, 'leaky');
    mkdirSync(path.join(dir, '.aurora-migrate'), { recursive: true });
    copyFileSync(run.planFile, path.join(dir, 'orders.yaml'));
    copyFileSync(run.statePath, path.join(dir, '.aurora-migrate', 'orders-to-aurora.state.json'));
    const leak = JSON.stringify({
      ts: new Date().toISOString(),
      type: 'warning',
      stepId: 'freeze',
      message: `could not connect: password authentication failed (password ${run.password})`,
    });
    writeFileSync(
      path.join(dir, '.aurora-migrate', 'orders-to-aurora.state.json.events.jsonl'),
      readFileSync(run.eventLogPath, 'utf8') + leak + '\n',
    );
    const { runCli } = await import('../../rehearsal/world/cli-runner.js');
    for (const format of ['html', 'markdown']) {
      const r = await runCli(['report', 'orders.yaml', '--format', format], { env: run.env, cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('password authentication failed (password ***)');
      expect(r.stdout).not.toContain(run.password);
    }
  });
});

describe('the HTML report in a real browser (playwright-core + Debian chromium)', () => {
  it('renders one point per lag poll and one bar per step attempt, loads nothing, prints to PDF, and is screenshotted', {
    timeout: 60_000,
  }, async () => {
    const file = path.join(scratch, 'report.html');
    const r = await run.cli(['report', 'orders.yaml', 'watch.yaml', '--output', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report (html, 2 plans) written to ${file}`);
    const html = readFileSync(file, 'utf8');
    // Self-contained: no script, no stylesheet, image or font from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import|@font-face/i);

    const log = events();
    const numericPolls = log.filter((e) => e.type === 'lag-sample' && typeof e.value === 'number').length;
    const attempts = log.filter((e) => e.type === 'status' && e.to === 'running').length;

    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(mkdtempSync(path.join(scratch, 'chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      const seen = await page.evaluate(() => {
        const section = document.querySelector('section#plan-orders-to-aurora')!;
        const lag = section.querySelector('svg[data-chart="lag"]') as SVGSVGElement;
        const timeline = section.querySelector('svg[data-chart="timeline"]') as SVGSVGElement;
        const inside = (el: Element, box: DOMRect) => {
          const b = el.getBoundingClientRect();
          return (
            b.width > 0 &&
            b.left >= box.left - 4 &&
            b.right <= box.right + 4 &&
            b.top >= box.top - 4 &&
            b.bottom <= box.bottom + 4
          );
        };
        const lagBox = lag.getBoundingClientRect();
        const circles = [...lag.querySelectorAll('circle.sample')];
        const d = lag.querySelector('path.series')?.getAttribute('d') ?? '';
        return {
          lagWidth: lagBox.width,
          circles: circles.length,
          circlesInside: circles.every((c) => inside(c, lagBox)),
          vertices: (d.match(/[ML]/g) ?? []).length,
          bars: timeline.querySelectorAll('rect.bar').length,
          barsInside: [...timeline.querySelectorAll('rect.bar')].every((b) =>
            inside(b, timeline.getBoundingClientRect()),
          ),
          smallCharts: document.querySelectorAll('section.overview svg[data-chart="lag-small"]').length,
          scripts: document.scripts.length,
        };
      });
      expect(seen.lagWidth).toBeGreaterThan(300);
      expect(seen.circles).toBe(numericPolls);
      expect(seen.vertices).toBe(numericPolls);
      expect(seen.circlesInside).toBe(true);
      expect(seen.bars).toBe(attempts);
      expect(seen.barsInside).toBe(true);
      expect(seen.smallCharts).toBe(2);
      expect(seen.scripts).toBe(0);
      expect(requests).toEqual([url]);

      const shot = path.join(scratch, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect((pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(2); // a page per plan
      expect(requests).toEqual([url]);
      if (process.env.REPORT_SCREENSHOT_TO) copyFileSync(shot, process.env.REPORT_SCREENSHOT_TO);
      expect(existsSync(shot)).toBe(true);
    } finally {
      await context.close();
    }
  });
});

describe('docs/report.md', () => {
  it('the commands of its console block run on a real run (plans/orders.yaml local, plans/orders-watch.yaml in S3)', async () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'report.md'), 'utf8');
    // The ```console block's commands (the ```sh block runs in test/docs, on the example plans).
    const lines = [...doc.matchAll(/```console\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1].split('\n'))
      .map((l) => l.trim())
      .filter((l) => l.startsWith('$ aurora-migrate '));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    mkdirSync(path.join(run.dir, 'plans'), { recursive: true });
    copyFileSync(run.planFile, path.join(run.dir, 'plans', 'orders.yaml'));
    copyFileSync(run.watchFile, path.join(run.dir, 'plans', 'orders-watch.yaml'));
    const summary = path.join(scratch, 'step-summary.md');
    const outputs: string[] = [];
    for (const line of lines) {
      // Through a shell, so globs and >> work as they do for a user.
      const r = await new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const child = spawn(
          'sh',
          ['-c', `"${process.execPath}" "${CLI_BIN}" ${line.replace(/^\$ aurora-migrate /, '')}`],
          { cwd: run.dir, env: { ...run.env, GITHUB_STEP_SUMMARY: summary } },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => done({ code, out, err }));
      });
      expect(r.code, `${line}\n${r.err}`).toBe(0);
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
      outputs.push(r.out);
    }
    expect(readFileSync(path.join(run.dir, 'orders-report.html'), 'utf8')).toContain('data-chart="lag"');
    expect(readFileSync(summary, 'utf8')).toContain('# orders-to-aurora: finished');
    const fleet = readFileSync(path.join(run.dir, 'reports', 'fleet.html'), 'utf8');
    expect(fleet).toContain('aurora-migrate run report — 2 plans');
    expect(fleet).toContain('href="#plan-orders-watch"');
    expect(outputs.join('')).toContain('# orders-watch: finished');
  });
});
