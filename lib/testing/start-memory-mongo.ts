/**
 * `startMemoryMongo()`: a MongoDB for tests and demos, picked in order: the one `MONGODB_URI`
 * names; a real `mongod` through the optional `mongodb-memory-server` package when a binary is
 * already on this machine (it is never downloaded here); the built-in in-memory server, in a
 * worker thread of its own.
 */
import { ConnectionString } from 'mongodb-connection-string-url';
import { MemoryMongoServer } from './memory-mongo/server.js';
import { MemoryMongoWorker } from './memory-mongo/memory-mongo-worker.js';
import { importOptional } from '../environment/optional-package.js';

/** Which MongoDB `startMemoryMongo()` started. */
export type MemoryMongoEngine = 'external' | 'mongodb-memory-server' | 'builtin';

/** Options of {@link startMemoryMongo}. */
export interface StartMemoryMongoOptions {
  /** Port for the built-in server (default: a free one). Ignored by the other engines. */
  port?: number;
  /**
   * File where the built-in server keeps its data across restarts: loaded at start,
   * written by `stop()`. Ignored by the other engines.
   */
  persist?: string;
  /** Environment to read `MONGODB_URI` from (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /** Set to false to skip `mongodb-memory-server` even when it is installed. */
  allowMongodBinary?: boolean;
  /**
   * Run the built-in server in a worker thread (the default), so that a slow command never holds
   * up the host's event loop. `false` runs it in the calling thread. Ignored by the other engines.
   */
  worker?: boolean;
  /**
   * How long a command that evaluates a regular expression and sets no `maxTimeMS` may run on the
   * built-in server before it fails with MaxTimeMSExpired (50), in ms (default 10,000; 0: no limit).
   * Ignored by the other engines.
   */
  regexTimeLimitMS?: number;
}

/** A running MongoDB. */
export interface MemoryMongo {
  /** The server's connection string (for the built-in server: `mongodb://127.0.0.1:<port>/`). */
  readonly uri: string;
  /** The connection string of one database on this server, keeping the URI's options. */
  uriFor(database: string): string;
  readonly engine: MemoryMongoEngine;
  /** Stops the server (and saves its data when `persist` was set); a no-op for `external`. */
  stop(): Promise<void>;
}

/** The parts of the optional `mongodb-memory-server` package used here. */
interface MongodModule {
  MongoMemoryReplSet: {
    create(options: unknown): Promise<{ getUri(): string; stop(): Promise<unknown> }>;
  };
  DryMongoBinary: {
    generateOptions(options?: unknown): Promise<unknown>;
    /** Finds an already present binary without downloading anything. */
    locateBinary(options: unknown): Promise<string | undefined>;
  };
}

/** `base` with its database path replaced by `database`, options (`?replicaSet=...`) kept. */
function databaseUri(base: string, database: string): string {
  const connection = new ConnectionString(base);
  connection.pathname = `/${encodeURIComponent(database)}`;
  return connection.toString();
}

/** Starts `mongod` only when a binary is already present, so nothing is downloaded. */
async function startMongod(): Promise<MemoryMongo | null> {
  const mms = await importOptional<MongodModule>('mongodb-memory-server');
  if (!mms?.DryMongoBinary) return null;
  const binary = await mms.DryMongoBinary.generateOptions()
    .then((options) => mms.DryMongoBinary.locateBinary(options))
    .catch(() => undefined);
  if (!binary) return null;
  const replSet = await mms.MongoMemoryReplSet.create({ replSet: { count: 1 }, binary: { systemBinary: binary } });
  const uri = replSet.getUri();
  return {
    uri,
    uriFor: (database) => databaseUri(uri, database),
    engine: 'mongodb-memory-server',
    stop: async () => void (await replSet.stop()),
  };
}

/**
 * Starts a MongoDB for tests or a demo.
 *
 * @example
 * ```ts
 * const mongo = await startMemoryMongo();
 * const backend = createBackend({ appId: 'test', masterKey: 'mk', databaseURI: mongo.uriFor('test') });
 * // ...
 * await mongo.stop();
 * ```
 */
export async function startMemoryMongo(options: StartMemoryMongoOptions = {}): Promise<MemoryMongo> {
  const env = options.env ?? process.env;
  const external = env.MONGODB_URI;
  if (external) {
    return {
      uri: external,
      uriFor: (database) => databaseUri(external, database),
      engine: 'external',
      stop: async () => {},
    };
  }
  if (options.allowMongodBinary !== false) {
    const mongod = await startMongod();
    if (mongod) return mongod;
  }
  const serverOptions = { port: options.port, persist: options.persist, regexTimeLimitMS: options.regexTimeLimitMS };
  const server = await (options.worker === false ? MemoryMongoServer : MemoryMongoWorker).start(serverOptions);
  const uri = server.uri;
  return { uri, uriFor: (database) => databaseUri(uri, database), engine: 'builtin', stop: () => server.stop() };
}
