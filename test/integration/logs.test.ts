/**
 * Logs: `loggerAdapter` in parse-server's shape (`log`, `query`) and `GET /scriptlog`, which the
 * Dashboard's Logs page reads; without an adapter, the backend's built-in memory log answers.
 * (The Parse SDKs have no logs API: this is REST only, as the Dashboard calls it.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BackendConfigError, createBackend, ErrorCode } from 'plinth';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { ensureTools, requireTool, TOOLS_INSTALL_TIMEOUT_MS } from '../support/tools.js';

interface Line {
  level: string;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}

/** Registers a function that writes `lines` through `request.log`. */
function logFunction(t: TestBackend): void {
  t.backend.cloud.define('writeLogs', (request) => {
    const { lines } = request.params as { lines: [level: 'info' | 'warn' | 'error' | 'debug', message: string][] };
    for (const [level, message] of lines) request.log[level](message, { source: 'test' });
    return lines.length;
  });
}

async function writeLogs(t: TestBackend, lines: [string, string][]): Promise<void> {
  const res = await t.http.post('/parse/functions/writeLogs').set(appHeaders).send({ lines });
  expect(res.status).to.equal(200);
}

describe('GET /scriptlog and loggerAdapter', () => {
  describe('the built-in memory log', () => {
    let t: TestBackend;
    before(async () => {
      t = await startTestBackend();
      logFunction(t);
    });
    after(() => t.close());

    it('answers the latest lines, newest first, with the master key only', async () => {
      await writeLogs(t, [
        ['info', 'first'],
        ['warn', 'second'],
        ['error', 'third'],
        ['debug', 'not kept at the default level'],
      ]);
      const res = await t.http.get('/parse/scriptlog').set(masterHeaders);
      expect(res.status).to.equal(200);
      const lines = res.body as Line[];
      expect(lines.map((l) => l.message).slice(0, 3)).to.deep.equal(['third', 'second', 'first']);
      expect(lines[0]).to.include({ level: 'error', source: 'test' });
      expect(Date.parse(lines[0]!.timestamp)).to.be.closeTo(Date.now(), 60_000);
      expect(lines.map((l) => l.message)).not.to.include('not kept at the default level');
      const refused = await t.http.get('/parse/scriptlog').set(appHeaders);
      expect(refused.status).to.equal(403);
    });

    it('reads level, size, n, order, from and until as parse-server does', async () => {
      await writeLogs(t, [
        ['info', 'a'],
        ['error', 'b'],
        ['info', 'c'],
      ]);
      const errors = await t.http.get('/parse/scriptlog?level=error&size=50').set(masterHeaders);
      expect((errors.body as Line[]).every((l) => l.level === 'error')).to.equal(true);
      expect((errors.body as Line[]).map((l) => l.message)).to.include('b');
      const two = await t.http.get('/parse/scriptlog?size=5&n=2').set(masterHeaders);
      expect((two.body as Line[]).map((l) => l.message)).to.deep.equal(['c', 'b']);
      const oldest = await t.http.get('/parse/scriptlog?order=asc&n=1').set(masterHeaders);
      expect((oldest.body as Line[])[0]!.message).to.equal('first');
      const future = new Date(Date.now() + 60_000).toISOString();
      const none = await t.http.get(`/parse/scriptlog?from=${future}`).set(masterHeaders);
      expect(none.body).to.deep.equal([]);
      const past = await t.http.get('/parse/scriptlog?until=2000-01-01T00:00:00Z').set(masterHeaders);
      expect(past.body).to.deep.equal([]);
    });

    it('answers bad parameters with a Parse error, and bounds what one request reads', async () => {
      const bad = await t.http.get('/parse/scriptlog?order=sideways').set(masterHeaders);
      expect(bad.status).to.equal(400);
      expect(bad.body.code).to.equal(ErrorCode.INVALID_QUERY);
      await writeLogs(
        t,
        Array.from({ length: 1100 }, (_, i): [string, string] => ['info', `line ${i}`]),
      );
      const junk = await t.http.get('/parse/scriptlog?size=lots&from=yesterday').set(masterHeaders);
      expect(junk.status).to.equal(200);
      expect((junk.body as Line[]).length).to.equal(10);
      const many = await t.http.get('/parse/scriptlog?n=100000').set(masterHeaders);
      expect((many.body as Line[]).length).to.equal(1000);
      expect((many.body as Line[])[0]!.message).to.equal('line 1099');
    });

    it('truncates a long line as parse-server does', async () => {
      await writeLogs(t, [['info', 'x'.repeat(5000)]]);
      const res = await t.http.get('/parse/scriptlog?n=1').set(masterHeaders);
      const [line] = res.body as Line[];
      expect(line!.message).to.have.length(1000 + '... (truncated)'.length);
    });
  });

  describe("logStore: 'database'", () => {
    it("answers every process's lines from the database, written in batches", async () => {
      const a = await startTestBackend({ logStore: 'database' });
      const b = await startTestBackend({ databaseURI: a.databaseURI, logStore: 'database' });
      try {
        logFunction(a);
        logFunction(b);
        await writeLogs(a, [['info', 'from a']]);
        await writeLogs(b, [
          ['error', 'from b'],
          ['info', 'b again'],
        ]);
        const db = await a.db();
        // Nothing is written per line: the lines wait for their batch.
        expect(await db.collection('_Logs').countDocuments({ message: /^from|again/ })).to.equal(0);
        // A read writes what its process holds; the other's lines come with their batch (each second).
        const deadline = Date.now() + 5000;
        let messages: string[] = [];
        while (Date.now() < deadline) {
          const res = await a.http.get('/parse/scriptlog').set(masterHeaders).query({ size: 100 });
          messages = (res.body as Line[]).map((l) => l.message);
          if (messages.includes('from b')) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(messages.filter((m) => ['from a', 'from b', 'b again'].includes(m))).to.deep.equal([
          'b again',
          'from b',
          'from a',
        ]);
        const errors = await a.http.get('/parse/scriptlog').set(masterHeaders).query({ level: 'error', order: 'asc' });
        expect((errors.body as Line[]).map((l) => l.message)).to.deep.equal(['from b']);
        expect(errors.body[0]).to.include({ level: 'error', source: 'test' });
        const stored = await db.collection('_Logs').findOne({ message: 'from b' });
        expect(stored?.timestamp).to.be.instanceOf(Date);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('refuses an unknown store at startup', () => {
      expect(() =>
        createBackend({
          appId: 'x',
          masterKey: 'y',
          databaseURI: 'mongodb://127.0.0.1:1/x',
          logStore: 'file' as never,
        }),
      ).to.throw(BackendConfigError, /logStore/);
    });
  });

  describe('logLevel', () => {
    it('keeps lines from that level up', async () => {
      const t = await startTestBackend({ logLevel: 'error' });
      try {
        logFunction(t);
        await writeLogs(t, [
          ['info', 'quiet'],
          ['error', 'loud'],
        ]);
        const res = await t.http.get('/parse/scriptlog').set(masterHeaders);
        expect((res.body as Line[]).map((l) => l.message)).to.deep.equal(['loud']);
      } finally {
        await t.close();
      }
    });
  });

  describe("parse-server's WinstonLoggerAdapter", function () {
    let t: TestBackend;
    let folder: string;
    before(async function () {
      this.timeout(TOOLS_INSTALL_TIMEOUT_MS);
      ensureTools();
      folder = mkdtempSync(join(tmpdir(), 'plinth-logs-'));
      const { WinstonLoggerAdapter } = requireTool<{
        WinstonLoggerAdapter: new (options: Record<string, unknown>) => unknown;
      }>('parse-server/lib/Adapters/Logger/WinstonLoggerAdapter.js');
      t = await startTestBackend({
        loggerAdapter: new WinstonLoggerAdapter({ logsFolder: folder, silent: true, logLevel: 'info' }),
      });
      logFunction(t);
    });
    after(async () => {
      await t?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it('writes through log() and reads back through query()', async () => {
      await writeLogs(t, [
        ['info', 'to winston'],
        ['error', 'an error for winston'],
      ]);
      // winston writes its files asynchronously.
      let lines: Line[] = [];
      for (let i = 0; i < 50 && !lines.some((l) => l.message === 'to winston'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        lines = (await t.http.get('/parse/scriptlog?size=20').set(masterHeaders)).body as Line[];
      }
      expect(lines.map((l) => l.message)).to.include.members(['to winston', 'an error for winston']);
      const errors = (await t.http.get('/parse/scriptlog?level=error').set(masterHeaders)).body as Line[];
      expect(errors.map((l) => l.message)).to.deep.equal(['an error for winston']);
    });
  });

  describe('other adapters', () => {
    it('takes an adapter without query: lines reach it, /scriptlog answers 115', async () => {
      const seen: unknown[][] = [];
      const t = await startTestBackend({
        loggerAdapter: {
          log: (...args: unknown[]) => {
            seen.push(args);
          },
        },
      });
      try {
        logFunction(t);
        await writeLogs(t, [['warn', 'careful']]);
        expect(seen).to.deep.include(['warn', 'careful', { source: 'test' }]);
        const res = await t.http.get('/parse/scriptlog').set(masterHeaders);
        expect(res.status).to.equal(400);
        expect(res.body).to.deep.equal({
          code: ErrorCode.PUSH_MISCONFIGURED,
          error: 'Querying logs is not supported with this adapter',
        });
      } finally {
        await t.close();
      }
    });

    it('keeps answering when the adapter fails, and loads { module, options }', async () => {
      const failing = {
        log: () => {
          throw new Error('log disk full');
        },
        query: () => Promise.reject(new Error('cannot read')),
      };
      const t = await startTestBackend({ loggerAdapter: { module: () => failing } });
      try {
        logFunction(t);
        await writeLogs(t, [['error', 'lost']]);
        const res = await t.http.get('/parse/scriptlog').set(masterHeaders);
        expect(res.status).to.equal(500);
        expect(res.body).to.deep.equal({ code: ErrorCode.INTERNAL_SERVER_ERROR, error: 'Could not read the logs.' });
      } finally {
        await t.close();
      }
    });

    it('refuses at startup an adapter without log()', () => {
      expect(() =>
        createBackend({ appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/x', loggerAdapter: {} }),
      ).to.throw(BackendConfigError, /loggerAdapter: must have log/);
      expect(() =>
        createBackend({
          appId: 'a',
          masterKey: 'm',
          databaseURI: 'mongodb://127.0.0.1:1/x',
          logLevel: 'loud' as never,
        }),
      ).to.throw(BackendConfigError, /logLevel/);
    });
  });
});
