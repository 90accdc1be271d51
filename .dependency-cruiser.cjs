// The house's layers, as rules (CONTRIBUTING.md "Layers"; `npm run lint:deps`, part of `npm test`).
// Every arrow points down this list; a folder may import its own files and any folder below it:
//
//   cli                                        the commands (flags in, exit code out)
//   render                                     text, markdown and JSON for the terminal
//   notify  remote-state  fleet  report        adapters and views above the engine
//   engine  review  preflight                  running a plan; its dry-run; its read-only checks
//   steps                                      one folder or file per step type
//   rds                                        what the steps know of RDS (resources, metrics, guards)
//   aws  db                                    the adapters the project owns (the SDK and pg load lazily)
//   plan                                       the plan language: types, schema, semantic checks, values
//   src/*.ts                                   errors
//
// Also: no import cycles anywhere in src/; src never imports rehearsal/, test/, bench/ or scripts/;
// only src/aws imports @aws-sdk/* and only src/db imports pg. TypeScript 7 has no JS compiler API,
// so files are parsed with swc (type-only imports included).
const LAYERS = [
  ['cli'],
  ['render'],
  ['notify', 'remote-state', 'fleet', 'report'],
  ['engine', 'review', 'preflight'],
  ['steps'],
  ['rds'],
  ['aws', 'db'],
  ['plan'],
];

const folders = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(1).map((layer, i) => {
  const above = LAYERS.slice(0, i + 1).flat();
  return {
    name: `layer-${layer.join('-')}`,
    comment: `${layer.join(', ')} may not import ${above.join(', ')} (layers point one way, see .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path: folders(layer) },
    to: { path: folders(above) },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle in src/',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'root-imports-nothing-above',
      comment: 'src/*.ts (errors) is the bottom layer',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: folders(LAYERS.flat()) },
    },
    ...layerRules,
    {
      name: 'src-not-rehearsal-or-tests',
      comment: 'the tool never imports the rehearsal world, the tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(rehearsal|test|bench|scripts)/' },
    },
    {
      name: 'sdk-only-in-aws',
      comment: 'only src/aws imports the AWS SDK (the engine and steps talk to AwsApi)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/aws/' },
      to: { path: 'node_modules/@aws-sdk/' },
    },
    {
      name: 'pg-only-in-db',
      comment: 'only src/db imports pg (the engine and steps talk to DbConnector)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/db/' },
      to: { path: ['node_modules/pg/', 'node_modules/pg-[a-z]+/'] },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.generated\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
