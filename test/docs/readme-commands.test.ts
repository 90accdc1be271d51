// The docs run as written. Every command line in a ```sh block of README.md, CONTRIBUTING.md and
// docs/**/*.md is checked:
//   - `npx aurora-migrate …` / `aurora-migrate …` runs against this checkout and exits 0, or the code
//     a trailing `# exits N` comment gives;
//   - `npm run NAME` names a script in package.json; `npx vitest run PATH`, `npx tsx PATH` name files
//     that exist; `npm ci` and `npm test` are taken as they are; anything else in a ```sh block fails.
// Lines that need real AWS, a database or a long run belong in ```console or ```text blocks, which
// this test leaves alone. (`npm run demo` itself runs in test/rehearsal/world/demo-smoke.test.ts; the
// commands of docs/teams-and-ci.md, which need the AWS stand-in, in test/docs/teams-and-ci.test.ts.)
// Relative links between the pages must resolve too, anchors included.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from '../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';

/**
 * Pages whose commands need a world (the AWS stand-in, a finished run) and run in a test of their
 * own, which writes the page's plans and checks each line's exit code: their links are checked here.
 */
const PAGES_WITH_THEIR_OWN_TEST = new Map([['docs/teams-and-ci.md', 'test/docs/teams-and-ci.test.ts']]);

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(rel);
    return e.name.endsWith('.md') ? [rel] : [];
  });
}

const DOCS = ['README.md', 'CONTRIBUTING.md', ...markdownFiles('docs')];
const text = new Map(DOCS.map((f) => [f, readFileSync(path.join(REPO_ROOT, f), 'utf8')]));
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

interface Line {
  file: string;
  command: string;
  /** From a trailing `# exits N`; 0 otherwise. */
  exit: number;
}

/** Command lines of the ```sh blocks of one page. */
function shellLines(file: string): Line[] {
  return [...text.get(file)!.matchAll(/^```sh\n([\s\S]*?)^```/gm)]
    .flatMap((m) => m[1].split('\n'))
    .map((raw) => {
      const exit = /#\s*exits (\d+)\s*$/.exec(raw);
      return { file, command: raw.replace(/\s+#.*$/, '').trim(), exit: exit ? Number(exit[1]) : 0 };
    })
    .filter((l) => l.command !== '');
}

const lines = DOCS.filter((f) => !PAGES_WITH_THEIR_OWN_TEST.has(f)).flatMap(shellLines);
const isCli = (l: Line) => /^(npx )?aurora-migrate( |$)/.test(l.command);

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const body = text.get(file)!.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...body.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

describe('docs: the shell blocks', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it('the README quick start names install and the demo', () => {
    const quick = shellLines('README.md').map((l) => l.command);
    expect(quick).toContain('npm ci');
    expect(quick).toContain('npm run demo');
  });

  it('every page with commands is covered, and there are aurora-migrate commands to try', () => {
    expect(lines.filter(isCli).length).toBeGreaterThan(10);
    for (const page of ['README.md', 'CONTRIBUTING.md', 'docs/commands.md', 'docs/plans.md']) {
      expect(
        lines.some((l) => l.file === page),
        page,
      ).toBe(true);
    }
  });

  it('names only npm scripts that exist, and files that exist', () => {
    for (const l of lines.filter((x) => !isCli(x))) {
      const where = `${l.file}: ${l.command}`;
      const words = l.command.split(/\s+/);
      if (l.command === 'npm ci' || l.command === 'npm test') continue;
      if (words[0] === 'npm' && words[1] === 'run') {
        expect(pkg.scripts, where).toHaveProperty(words[2]);
      } else if (words[0] === 'npx' && (words[1] === 'vitest' || words[1] === 'tsx')) {
        const paths = words.filter((w) => /^(src|test|rehearsal|scripts|bench)\//.test(w));
        expect(paths.length, where).toBeGreaterThan(0);
        for (const p of paths) expect(existsSync(path.join(REPO_ROOT, p)), where).toBe(true);
      } else {
        expect.fail(`${where}: not a command this test knows how to check; put it in a \`\`\`console block`);
      }
    }
  });

  const seen = new Set<string>();
  for (const l of lines.filter(isCli)) {
    const key = `${l.command} → ${l.exit}`;
    if (seen.has(key)) continue;
    seen.add(key);
    it(`${l.file}: ${l.command}${l.exit ? `  (exits ${l.exit})` : ''}`, () => {
      expect(l.command, 'a runnable doc line writes no files: use a ```console block').not.toMatch(/[<>|;&]/);
      const args = l.command.replace(/^(npx )?aurora-migrate/, '');
      // Through a shell so globs like plans/*.yaml expand as they do for a user; AWS unreachable.
      const result = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI_BIN}"${args}`], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
      });
      expect(result.stderr + result.stdout).not.toMatch(/internal error|at .*\.js:\d+/);
      expect(result.status, result.stderr).toBe(l.exit);
    });
  }
});

describe('docs: whole plans shown in ```yaml blocks', () => {
  beforeAll(() => ensureBuilt(), 240_000);
  // A block that starts like a plan file (the yaml-language-server line) is a plan: it validates.
  const plans = DOCS.flatMap((file) =>
    [...text.get(file)!.matchAll(/^```yaml\n(# yaml-language-server[\s\S]*?)^```/gm)].map((m, i) => ({
      file,
      i,
      yaml: m[1],
    })),
  );
  it('there are some', () => expect(plans.length).toBeGreaterThan(0));
  for (const p of plans) {
    it(`${p.file}: plan #${p.i + 1} validates`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'docs-plan-'));
      try {
        const file = path.join(dir, 'plan.yaml');
        writeFileSync(file, p.yaml);
        const result = spawnSync(process.execPath, [CLI_BIN, 'validate', file], {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        });
        expect(result.status, result.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('docs: samples of validate output', () => {
  it('list the step types validate lists', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/plan.schema.json'), 'utf8'));
    const types: string[] = schema.$defs.step.properties.type.enum;
    let samples = 0;
    for (const [file, body] of text) {
      for (const [, list] of body.matchAll(/the step types are ([a-z0-9, -]+)$/gm)) {
        samples++;
        expect(list.split(', '), file).toEqual(types);
      }
    }
    expect(samples).toBeGreaterThan(0);
  });
});

describe('docs: citations in the code', () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(rel);
      return /\.(ts|mjs|js)$/.test(e.name) && !e.name.includes('.generated.') ? [rel] : [];
    });
  }

  it('every docs page and heading a comment cites exists', () => {
    const cited: string[] = [];
    for (const file of ['src', 'rehearsal', 'test', 'scripts', 'bench'].flatMap(sourceFiles)) {
      const body = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      for (const [, page, heading] of body.matchAll(/\b(docs\/[\w/-]+\.md)(?: "([^"]+)")?/g)) {
        cited.push(page);
        expect(text.has(page), `${file} cites ${page}`).toBe(true);
        if (heading) expect(anchors(page).has(slug(heading)), `${file} cites ${page} "${heading}"`).toBe(true);
      }
    }
    expect(cited.length).toBeGreaterThan(10);
  });
});

describe('docs: pages whose commands run in a test of their own', () => {
  for (const [page, testFile] of PAGES_WITH_THEIR_OWN_TEST) {
    it(`${page}: ${testFile} exists and reads it`, () => {
      expect(existsSync(path.join(REPO_ROOT, testFile))).toBe(true);
      expect(readFileSync(path.join(REPO_ROOT, testFile), 'utf8')).toContain(page);
      expect(shellLines(page).length).toBeGreaterThan(0);
    });
  }
});

describe('docs: links between pages', () => {
  for (const file of DOCS) {
    it(`${file}: every relative link resolves`, () => {
      const body = text.get(file)!.replace(/^```[\s\S]*?^```/gm, '');
      for (const [, target] of body.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [ref, anchor] = target.split('#');
        const resolved = ref ? path.posix.normalize(path.posix.join(path.posix.dirname(file), ref)) : file;
        expect(existsSync(path.join(REPO_ROOT, resolved)), `${file} → ${target}`).toBe(true);
        if (anchor && resolved.endsWith('.md')) {
          expect(anchors(resolved).has(anchor), `${file} → ${target}: no such heading`).toBe(true);
        }
      }
    });
  }
});
