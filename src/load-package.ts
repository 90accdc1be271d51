// An installed package (or a Node built-in), loaded the first time a command needs it, so that
// `validate` and an offline `plan` never load the AWS SDK, pg or listr2.
//
// The built CLI is one CommonJS file (dist/cli/main.cjs) that bin/aurora-migrate.js compiles with
// node:vm and a V8 code cache (docs/performance.md "validate start-up"). A dynamic import() there
// needs Node's experimental vm modules, so scripts/build.mjs defines AURORA_MIGRATE_BUNDLE and the
// bundle loads packages with require(), which gives every one of them its CommonJS build. Run from
// source (tests, tsx) it is import(), which vi.mock can replace.

declare const AURORA_MIGRATE_BUNDLE: boolean | undefined;

export function loadPackage<T>(name: string): Promise<T> {
  if (typeof AURORA_MIGRATE_BUNDLE !== 'undefined' && AURORA_MIGRATE_BUNDLE) {
    return Promise.resolve().then(() => require(name) as T);
  }
  return import(name) as Promise<T>;
}
