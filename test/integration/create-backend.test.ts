import { createRequire } from 'node:module';
import { expect } from 'chai';
import express from 'express';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { BackendConfigError, BackendError, createBackend, ErrorCode } from 'plinth';
import { testMongo, uniqueDatabaseName } from '../support/mongo.js';
import { appHeaders, startTestBackend } from '../support/backend.js';
import type * as Plinth from 'plinth';
import type * as PlinthTesting from 'plinth/testing';

describe('createBackend()', () => {
  it('is synchronous and does no I/O until the first request', () => {
    const backend = createBackend({ appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/never' });
    expect(typeof backend).to.equal('function');
    expect(backend.cloud).to.be.an('object');
    return backend.close();
  });

  it('names every bad option in one error', () => {
    let error: unknown;
    try {
      createBackend({ appId: 5, masterKey: '', databaseURI: 'http://x', maxLimit: 0, colour: 'red' } as never);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(BackendConfigError);
    const problems = (error as BackendConfigError).problems.join('\n');
    for (const key of ['appId', 'masterKey', 'databaseURI', 'maxLimit', 'colour']) expect(problems).to.include(key);
  });

  it('needs exactly one of databaseURI and database', () => {
    expect(() => createBackend({ appId: 'a', masterKey: 'm' })).to.throw(BackendConfigError, /databaseURI/);
    expect(() => createBackend({ appId: 'a', masterKey: 'm', database: {} as never })).to.throw(
      BackendConfigError,
      /MongoClient or a Db/,
    );
  });

  it('exports BackendError with Parse codes', () => {
    const err = new BackendError(ErrorCode.VALIDATION_ERROR, 'nope');
    expect(err.code).to.equal(142);
    expect(err.toJSON()).to.deep.equal({ code: 142, error: 'nope' });
  });

  it('can be loaded with require() as well as import', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('plinth') as typeof Plinth;
    expect(cjs.createBackend).to.equal(createBackend);
    const testing = require('plinth/testing') as typeof PlinthTesting;
    expect(testing.startMemoryMongo).to.be.a('function');
  });

  it('uses an existing MongoClient and leaves it open on close()', async () => {
    const mongo = await testMongo();
    const client = await MongoClient.connect(mongo.uriFor(uniqueDatabaseName()));
    try {
      const backend = createBackend({ appId: 'a', masterKey: 'm', database: client, allowClientClassCreation: true });
      const app = express().use('/parse', backend);
      await supertest(app).post('/parse/classes/Thing').set('X-Parse-Application-Id', 'a').send({ x: 1 }).expect(201);
      await backend.close();
      expect(await client.db().collection('Thing').countDocuments()).to.equal(1);
    } finally {
      await client.close();
    }
  });

  it('keeps two backends in one app apart: data, keys and hooks', async () => {
    const mongo = await testMongo();
    const one = createBackend({
      appId: 'one',
      masterKey: 'm1',
      databaseURI: mongo.uriFor(uniqueDatabaseName()),
      allowClientClassCreation: true,
    });
    const two = createBackend({
      appId: 'two',
      masterKey: 'm2',
      databaseURI: mongo.uriFor(uniqueDatabaseName()),
      allowClientClassCreation: true,
    });
    one.cloud.beforeSave('Note', (req) => {
      req.object.set('by', 'one');
    });
    const app = express().use('/one', one).use('/two', two);
    const http = supertest(app);
    try {
      await http.post('/one/classes/Note').set('X-Parse-Application-Id', 'one').send({ text: 'a' }).expect(201);
      await http.post('/two/classes/Note').set('X-Parse-Application-Id', 'two').send({ text: 'b' }).expect(201);
      const oneNotes = (await http.get('/one/classes/Note').set('X-Parse-Application-Id', 'one')).body.results;
      const twoNotes = (await http.get('/two/classes/Note').set('X-Parse-Application-Id', 'two')).body.results;
      expect(oneNotes.map((n: { text: string; by?: string }) => [n.text, n.by])).to.deep.equal([['a', 'one']]);
      expect(twoNotes.map((n: { text: string; by?: string }) => [n.text, n.by])).to.deep.equal([['b', undefined]]);
      expect((await http.get('/two/classes/Note').set('X-Parse-Application-Id', 'one')).status).to.equal(403);
      expect(
        (await http.get('/one/serverInfo').set({ 'X-Parse-Application-Id': 'one', 'X-Parse-Master-Key': 'm2' })).status,
      ).to.equal(403);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('createBackend: a parse-server config starts as it is', () => {
  it('accepts the options of a standalone parse-server and of features not built yet, with one warning naming them', () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (message: string) => warnings.push(message),
    };
    const backend = createBackend({
      appId: 'ported',
      masterKey: 'mk',
      databaseURI: 'mongodb://127.0.0.1:1/ported',
      logger,
      port: 1337,
      mountPath: '/parse',
      silent: true,
      logLevel: 'error',
      dotNetKey: 'x',
      maintenanceKey: 'maintenance',
      push: { android: { apiKey: 'k' } },
      liveQuery: { classNames: ['Chat'] },
    });
    expect(backend).to.be.a('function');
    expect(warnings).to.deep.equal([
      'parse-server options ignored, as they do not apply to a backend mounted in your app: port, mountPath, silent, dotNetKey; accepted, not active yet: maintenanceKey',
      // Push settings for parse-server's adapter, which this app has not installed (push.test.ts).
      'push: the settings for android need @parse/push-adapter, which is not installed (npm install @parse/push-adapter)',
    ]);
  });

  it("keeps parse-server's own databaseOptions from the driver, which would refuse them, and names them", async () => {
    const warnings: string[] = [];
    const t = await startTestBackend({
      logger: { warn: (message: string) => warnings.push(message) },
      databaseOptions: { enableSchemaHooks: true, schemaCacheTtl: 5000, batchSize: 10, maxTimeMS: 5000 },
    });
    try {
      await t.http.post('/parse/classes/Thing').set(appHeaders).send({ n: 1 }).expect(201);
      expect(warnings).to.deep.equal([
        'parse-server options ignored, as they do not apply to a backend mounted in your app: databaseOptions.batchSize, databaseOptions.enableSchemaHooks, databaseOptions.schemaCacheTtl',
      ]);
    } finally {
      await t.close();
    }
  });

  it('still refuses an option neither Plinth nor parse-server has', () => {
    expect(() =>
      createBackend({ appId: 'x', masterKey: 'mk', databaseURI: 'mongodb://127.0.0.1:1/x', portt: 1 } as never),
    ).to.throw(BackendConfigError, /portt: unknown option/);
  });
});
