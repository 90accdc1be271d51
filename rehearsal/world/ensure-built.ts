// The demo and the rehearsal tests run the CLI the way users do: bin/aurora-migrate.js, which loads
// the built dist/. When dist/ is missing or older than any file under src/ (or the build script),
// rebuild it first with `npm run build`, so a rehearsal never runs stale code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli-runner.js';

const ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'main.cjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function builtAt(): number | undefined {
  try {
    return statSync(ENTRY).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Why a build is needed, or undefined when dist/ is up to date. */
export function staleReason(): string | undefined {
  const built = builtAt();
  if (built === undefined) return 'dist/ is missing';
  const newest = Math.max(
    newestMtime(path.join(REPO_ROOT, 'src')),
    statSync(path.join(REPO_ROOT, 'schemas')).mtimeMs,
    statOrUndefined(path.join(REPO_ROOT, 'scripts', 'build.mjs'))?.mtimeMs ?? 0,
  );
  return newest > built ? 'src/ changed since the last build' : undefined;
}

const LOCK = path.join(REPO_ROOT, 'dist', '.build-lock');

/**
 * Builds when needed; throws with the compiler's output when the build fails. Test files run in
 * parallel and may all find dist/ stale: one builds (holding a lock folder) while the others wait
 * for it and then find dist/ fresh, so no CLI ever loads a half-written dist/ file.
 */
export function ensureBuilt(say: (line: string) => void = () => undefined): void {
  if (!staleReason()) return;
  const deadline = Date.now() + 180_000;
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statOrUndefined(LOCK)?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(LOCK, { recursive: true, force: true }); // a builder that died
      if (Date.now() > deadline) throw new Error(`waited 3 minutes for another build to finish (${LOCK})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    build(say);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function build(say: (line: string) => void): void {
  const reason = staleReason();
  if (!reason) return; // another process built it while we waited
  say(`Building the CLI first (${reason}): npm run build`);
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0 || builtAt() === undefined) {
    throw new Error(
      `npm run build failed (exit ${result.status ?? result.signal}):\n${indent(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`)}`,
    );
  }
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .slice(0, 20)
    .map((l) => `    ${l}`)
    .join('\n');
}
