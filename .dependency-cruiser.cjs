// Who may import whom in lib/ (see ARCHITECTURE.md). `npm run lint:deps` checks it in CI.
const FEATURES = '(logging|metrics|devtools|genai|instrumentation|otel-api)';
/** Files any layer may import: the library's errors and constants, which import nothing above config. */
const SHARED = '^lib/(tracing\\.errors|tracing\\.constants|tracing\\.internal-constants)\\.ts$';

/** What a feature implements: its Nest providers and middleware are part of it. */
const FEATURE_CONTRACT = '^lib/config/tracing-feature\\.ts$';

/** A rule that `from` may import nothing in lib/ but the layers named in `allowed`. */
function onlyBelow(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^lib/', pathNot: [`^lib/(${allowed})/`, SHARED] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter and layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'framework-free-layers',
      comment: 'core, export, config, server, decorators and integrations run without Nest.',
      severity: 'error',
      from: {
        path: '^lib/(core|export|config|server|decorators|integrations)/',
        pathNot: FEATURE_CONTRACT,
      },
      to: { path: '@nestjs' },
    },
    {
      name: 'feature-contract-names-nest-types',
      comment:
        "The feature contract (config/) names Nest's Provider and MiddlewareConsumer: as types " +
        'only, erased at run time, so config/ still runs without Nest.',
      severity: 'error',
      from: { path: FEATURE_CONTRACT },
      to: { path: '@nestjs', dependencyTypesNot: ['type-only'] },
    },
    onlyBelow(
      'shared-imports-below',
      SHARED,
      'core|config',
      'The errors and constants every layer may import stay below the layers importing them.',
    ),
    onlyBelow('core-imports-core', '^lib/core/', 'core', 'core/ is the model and hot path.'),
    onlyBelow('export-imports-core', '^lib/export/', 'core|export', 'export/ formats and sends.'),
    onlyBelow(
      'config-imports-below',
      '^lib/config/',
      'core|export|config|interfaces',
      'config/ turns options into a resolved config.',
    ),
    onlyBelow(
      'server-imports-below',
      '^lib/server/',
      'core|config|server',
      'server/ traces requests without Nest.',
    ),
    onlyBelow(
      'decorators-import-below',
      '^lib/decorators/',
      'core|config|decorators',
      'decorators/ is the @Traced() engine.',
    ),
    onlyBelow(
      'integrations-import-below',
      '^lib/integrations/',
      'core|config|integrations',
      'integrations/ traces client libraries from their channels.',
    ),
    {
      name: 'features-stay-apart',
      comment: 'A feature depends on the contract and the layers below, never on another feature.',
      severity: 'error',
      from: { path: `^lib/${FEATURES}/` },
      to: { path: `^lib/${FEATURES}/`, pathNot: '^lib/$1/' },
    },
    {
      name: 'features-not-on-the-list',
      comment: 'Only the module assembles the features.',
      severity: 'error',
      from: { path: `^lib/${FEATURES}/` },
      to: { path: '^lib/(tracing\\.features|tracing\\.providers|tracing\\.module)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^(test|bench|sample-app|dist)/' },
  },
};
