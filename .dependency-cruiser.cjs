/**
 * The architecture of lib/ (docs/architecture.md), as rules a change cannot break unnoticed.
 * Type-only imports are free: they vanish at run time and cannot make a loading cycle.
 */
const runtime = { dependencyTypesNot: ['type-only'] };

/**
 * What each folder may import at run time. Folders not listed (errors, values, environment) are the
 * bottom layer: they import no other folder. The composition root (lib/*.ts) may import anything.
 */
const allowed = {
  schema: ['errors', 'values'],
  query: ['errors', 'values', 'schema'],
  access: ['errors', 'values', 'schema'],
  // config compiles the request keyword denylist (query/forbidden-keys.ts) once, at startup.
  config: ['errors', 'values', 'access', 'query', 'logs'],
  cloud: ['errors', 'values', 'access', 'leases'],
  auth: ['errors', 'values', 'environment', 'schema', 'access', 'cloud'],
  files: ['errors', 'values', 'cloud'],
  objects: ['errors', 'values', 'schema', 'query', 'access', 'cloud'],
  users: ['errors', 'values', 'schema', 'query', 'access', 'cloud', 'auth', 'objects'],
  data: ['errors', 'values', 'schema', 'query', 'access', 'cloud', 'auth', 'objects', 'users'],
  rest: ['errors', 'values', 'environment', 'schema', 'query', 'access', 'cloud', 'auth', 'objects', 'users', 'data'],
  http: ['errors', 'values', 'query', 'access', 'auth', 'objects', 'users', 'files', 'rest'],
  livequery: ['errors', 'values', 'schema', 'query', 'access', 'cloud', 'auth', 'objects'],
  // Installations' rules and sending pushes, over the core's reads and writes.
  push: ['errors', 'values', 'schema', 'query', 'access', 'cloud', 'objects', 'leases'],
  // The bound Parse SDK enters the backend where HTTP does (the route table), without Express.
  sdk: ['errors', 'values', 'environment', 'access', 'cloud', 'objects', 'data', 'http'],
  storage: ['errors', 'values', 'schema'],
  // Leases between processes: over the storage contract (types only), for any layer above.
  leases: ['errors', 'values'],
  logs: ['errors', 'values'],
  testing: ['environment'],
  errors: [],
  values: [],
  environment: [],
};

const layerRules = Object.entries(allowed).map(([folder, may]) => ({
  name: `layer-${folder}`,
  comment: `lib/${folder}/ may import at run time only: ${may.join(', ') || 'nothing of lib'} (and itself)`,
  severity: 'error',
  from: { path: `^lib/${folder}/` },
  to: {
    path: '^lib/',
    pathNot: [`^lib/${folder}/`, ...may.map((m) => `^lib/${m}/`)],
    ...runtime,
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No runtime import cycle between files.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true, ...runtime, viaOnly: runtime },
    },
    ...layerRules,
    {
      name: 'storage-interface-knows-no-driver',
      comment: 'lib/storage/*.ts is the contract; only lib/storage/mongo/ knows MongoDB.',
      severity: 'error',
      from: { path: '^lib/storage/[^/]+$' },
      to: { path: '^lib/storage/mongo/', ...runtime },
    },
    {
      name: 'only-storage-talks-to-mongodb',
      comment: 'Only lib/storage/mongo/ (and the test server and its starter) import the MongoDB driver.',
      severity: 'error',
      from: { path: '^lib/', pathNot: ['^lib/storage/mongo/', '^lib/testing/'] },
      to: { path: '^node_modules/(mongodb|bson)/', ...runtime },
    },
    {
      name: 'only-http-knows-express',
      comment: 'Only lib/http/ imports Express (and multer, its upload middleware).',
      severity: 'error',
      from: { path: '^lib/', pathNot: ['^lib/http/'] },
      to: { path: '^node_modules/(express|multer)/', ...runtime },
    },
    {
      name: 'memory-mongo-is-standalone',
      comment: 'The built-in MongoDB imports nothing of the backend: it could be its own package.',
      severity: 'error',
      from: { path: '^lib/testing/memory-mongo/' },
      to: { path: '^lib/', pathNot: '^lib/testing/memory-mongo/' },
    },
    {
      name: 'memory-mongo-engine-is-the-bottom',
      comment: "The built-in MongoDB's engine (matching, updates, indexes) knows nothing of commands or the wire.",
      severity: 'error',
      from: { path: '^lib/testing/memory-mongo/engine/' },
      to: { path: '^lib/testing/memory-mongo/', pathNot: '^lib/testing/memory-mongo/engine/', ...runtime },
    },
    {
      name: 'memory-mongo-commands-below-the-server',
      comment:
        "The built-in MongoDB's commands use the engine and the wire format, never the server that dispatches them.",
      severity: 'error',
      from: { path: '^lib/testing/memory-mongo/(commands|wire)/' },
      to: { path: '^lib/testing/memory-mongo/[^/]+$', ...runtime },
    },
    {
      name: 'no-test-code-in-lib',
      comment: 'lib/ never imports tests, examples or the benchmark.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(test|examples|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
