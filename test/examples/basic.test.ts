import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../support/ports.js';

const script = fileURLToPath(new URL('../../examples/basic/server.js', import.meta.url));

describe('examples/basic (npm start)', function () {
  this.timeout(30000);
  let child: ChildProcess;
  let output = '';
  let base: string;
  let cwd: string;

  before(async () => {
    const port = await freePort();
    cwd = mkdtempSync(`${tmpdir()}/plinth-demo-`);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.MONGODB_URI;
    child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    base = `http://127.0.0.1:${port}/parse`;
    for (let i = 0; i < 100 && !output.includes('List orders'); i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints its URL and the curl examples', () => {
    expect(output).to.include(`Plinth demo on ${base}`);
    expect(output).to.include('curl -X POST');
  });

  it('serves the README hook: pending orders, negative totals refused', async () => {
    const headers = { 'X-Parse-Application-Id': 'demo', 'Content-Type': 'application/json' };
    const created = await fetch(`${base}/classes/Order`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ total: 42, items: ['book'] }),
    });
    expect(created.status).to.equal(201);
    expect(((await created.json()) as { status: string }).status).to.equal('pending');
    const refused = await fetch(`${base}/classes/Order`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ total: -1 }),
    });
    expect(refused.status).to.equal(400);
    expect(await refused.json()).to.deep.equal({ code: 142, error: 'total cannot be negative' });
    const list = await fetch(`${base}/classes/Order`, { headers });
    expect(((await list.json()) as { results: unknown[] }).results).to.have.length(1);
  });
});
