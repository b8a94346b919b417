/**
 * A fresh backend per test suite: its own database on the run's MongoDB, mounted in an Express app
 * listening on 127.0.0.1, with supertest for HTTP tests and a URL for the Parse JS SDK.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { MongoClient, type Db } from 'mongodb';
import supertest from 'supertest';
import { createBackend, type Backend, type BackendConfig } from 'plinth';
import { testMongo, uniqueDatabaseName } from './mongo.js';

export const APP_ID = 'test-app';
export const MASTER_KEY = 'test-master-key';

export interface TestBackend {
  app: Express;
  backend: Backend;
  /** `http://127.0.0.1:<port>/parse`: the serverURL for the Parse SDK. */
  serverURL: string;
  /** The backend's database connection string. */
  databaseURI: string;
  /** The HTTP server the app listens on (to attach LiveQuery to). */
  server: Server;
  /** A supertest agent on the app; paths include the mount point (`/parse/...`). */
  http: supertest.Agent;
  /** The backend's database, for checking what is stored; one connection, closed by `close()`. */
  db(): Promise<Db>;
  close(): Promise<void>;
}

/** Headers of a plain REST client. */
export const appHeaders = { 'X-Parse-Application-Id': APP_ID } as const;
export const masterHeaders = { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY } as const;

/** Starts a backend on a new database; `overrides` replace the test defaults. */
export async function startTestBackend(overrides: Partial<BackendConfig> = {}): Promise<TestBackend> {
  const mongo = await testMongo();
  const databaseURI = overrides.databaseURI ?? mongo.uriFor(uniqueDatabaseName('plinth'));
  const app = express();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const serverURL = `http://127.0.0.1:${port}/parse`;
  const backend = createBackend({
    appId: APP_ID,
    masterKey: MASTER_KEY,
    databaseURI,
    serverURL,
    publicServerURL: serverURL,
    allowClientClassCreation: true,
    ...overrides,
  });
  app.use('/parse', backend);
  let client: Promise<MongoClient> | undefined;
  return {
    app,
    backend,
    serverURL,
    databaseURI,
    server,
    http: supertest.agent(app),
    db: async () => {
      client ??= MongoClient.connect(databaseURI);
      return (await client).db();
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The tests are done: connections clients keep open (fetch keeps them alive) must not hold
      // close(), nor LiveQuery's WebSockets, which the backend ends.
      server.closeAllConnections();
      await backend.close();
      await closed;
      if (client) await (await client).close();
    },
  };
}
