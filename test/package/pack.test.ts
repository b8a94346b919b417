/**
 * The package as people install it: `npm pack` (its `prepack` builds), then a new host app that
 * installs the tarball with only express, `@types/express` and typescript beside it, and uses it
 * through `import`, `require` and a strict TypeScript build that checks the published types
 * (`skipLibCheck: false`), then serves its first request.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const rootRequire = createRequire(join(ROOT, 'package.json'));
const versionOf = (name: string) => (rootRequire(`${name}/package.json`) as { version: string }).version;

const HOST_APP = `import express from 'express';
import { createBackend, type Backend } from 'plinth';
import { startMemoryMongo } from 'plinth/testing';

const mongo = await startMemoryMongo();
const backend: Backend = createBackend({
  appId: 'host',
  masterKey: 'host-master-key',
  databaseURI: mongo.uriFor('host'),
  allowClientClassCreation: true,
});
const app = express();
app.use('/parse', backend);
const server = app.listen(0, '127.0.0.1', async () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const res = await fetch(\`http://127.0.0.1:\${port}/parse/classes/Note\`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': 'host', 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'first' }),
  });
  const body = (await res.json()) as { objectId?: string };
  console.log(\`first request: \${res.status} \${typeof body.objectId}\`);
  server.close();
  await backend.close();
  await mongo.stop();
});
`;

describe('the package (npm pack, installed into a new host app)', function () {
  this.timeout(180_000);
  let dir: string;
  let tarball: string;
  let installMs: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-pack-'));
    await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: ROOT, timeout: 120_000 });
    tarball = join(
      dir,
      readdirSync(dir).find((file) => file.endsWith('.tgz'))!,
    );
    const app = join(dir, 'app');
    await run('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    const started = Date.now();
    await run(
      'npm',
      [
        'install',
        tarball,
        `express@${versionOf('express')}`,
        `@types/express@${versionOf('@types/express')}`,
        `typescript@${versionOf('typescript')}`,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
      ],
      { cwd: app, timeout: 120_000 },
    );
    installMs = Date.now() - started;
    // Reported, not asserted: timings belong to the benchmark, not to the suite.
    process.stdout.write(`      (the tarball, express, @types/express and typescript installed in ${installMs} ms)\n`);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships the build, the pages, the license and the docs, and no source maps', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    for (const file of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/testing/index.js',
      'package/LICENSE',
      'package/README.md',
      'package/CHANGELOG.md',
      'package/package.json',
    ])
      expect(files).to.include(file);
    expect(files.some((file) => file.startsWith('package/pages/'))).to.equal(true);
    expect(files.filter((file) => file.endsWith('.map') || file.includes('.tsbuildinfo'))).to.deep.equal([]);
    expect(files.filter((file) => !/^package\/(dist|pages)\//.test(file) && !file.endsWith('.md'))).to.deep.equal([
      'package/LICENSE',
      'package/package.json',
    ]);
  });

  it('is taken by import and by require', async () => {
    const app = join(dir, 'app');
    const esm = await run(
      process.execPath,
      ['--input-type=module', '-e', "import { createBackend } from 'plinth'; console.log(typeof createBackend)"],
      { cwd: app },
    );
    expect(esm.stdout.trim()).to.equal('function');
    const cjs = await run(
      process.execPath,
      [
        '-e',
        "const { createBackend, ErrorCode } = require('plinth'); console.log(typeof createBackend, ErrorCode.OBJECT_NOT_FOUND)",
      ],
      { cwd: app },
    );
    expect(cjs.stdout.trim()).to.equal('function 101');
  });

  it('builds a host app with strict TypeScript, checking the published types, and serves its first request', async () => {
    const app = join(dir, 'app');
    writeFileSync(join(app, 'server.ts'), HOST_APP);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          types: [],
          outDir: 'out',
        },
        files: ['server.ts'],
      }),
    );
    // Node's own types come with @types/express (through its dependencies), as in any Express app.
    const tsc = await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app], {
      cwd: app,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`tsc failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    expect(tsc.stdout).to.equal('');
    const served = await run(process.execPath, [join(app, 'out/server.js')], { cwd: app, timeout: 60_000 });
    expect(served.stdout.trim()).to.equal('first request: 201 string');
  });
});
