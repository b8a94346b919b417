/**
 * Child process entry: one benchmark target alone in its process, mounted at /parse the way each
 * documents it, on its own fresh database. Usage:
 * `node --expose-gc target-process.js plinth|parse-server|baseline <mongodb-uri>`.
 *
 * Every target talks to MongoDB through a client with command monitoring on, so the parent can
 * ask how many database commands a burst of requests cost. It reports, when ready, how long it
 * took from constructing the backend to its first answered request (the database connection is
 * made before, so it is not counted). It exits when told to or when the parent disappears.
 */
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { createBackend } from 'plinth';
import { requireTool } from '../../test/support/tools.js';
import { cpuMicros, isParentMessage, type ChildMessage } from '../shared/ipc.js';
import { baselineApp } from './baseline-app.js';
import { APP_ID, LIVE_CLASS, MASTER_KEY } from './workload.js';

export type TargetKind = 'plinth' | 'parse-server' | 'baseline';

/** Commands a driver sends on its own (monitoring, cleanup): not round trips of a request. */
const BACKGROUND_COMMANDS = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions', 'buildInfo']);

const commandCounts = new Map<string, number>();
function countCommand(event: CommandStartedEvent): void {
  if (BACKGROUND_COMMANDS.has(event.commandName)) return;
  commandCounts.set(event.commandName, (commandCounts.get(event.commandName) ?? 0) + 1);
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

interface Mounted {
  /** Mounts the target on `app` (its serverURL is `serverURL`), LiveQuery on `server` where it has it. */
  mount(app: express.Express, serverURL: string, server: Server): Promise<void>;
  close(): Promise<void>;
}

async function plinth(uri: string): Promise<Mounted> {
  const client = new MongoClient(uri, { monitorCommands: true });
  client.on('commandStarted', countCommand);
  await client.connect();
  return {
    async mount(app, serverURL, server) {
      const backend = createBackend({
        appId: APP_ID,
        masterKey: MASTER_KEY,
        database: client,
        serverURL,
        liveQuery: { classNames: [LIVE_CLASS] },
      });
      backend.cloud.beforeSave('HookedItem', (request) => {
        request.object.set('checked', true);
      });
      app.use('/parse', backend);
      backend.liveQuery.attach(server);
    },
    close: () => client.close(),
  };
}

interface ParseServerLike {
  start(): Promise<unknown>;
  app: express.Express;
}
interface ParseServerClass {
  new (options: Record<string, unknown>): ParseServerLike;
  createLiveQueryServer(server: Server, config: Record<string, unknown>): Promise<unknown>;
}
interface StorageAdapterLike {
  connect(): Promise<void>;
  client: MongoClient;
}
interface ParseCloudLike {
  Cloud: {
    beforeSave(
      className: string,
      handler: (request: { object: { set(key: string, value: unknown): void } }) => void,
    ): void;
  };
}

async function parseServer(uri: string): Promise<Mounted> {
  // parse-server is CommonJS; its storage adapter is built here so that command monitoring can be switched on.
  const logsFolder = join(tmpdir(), `plinth-bench-parse-logs-${process.pid}`);
  // Read when parse-server is loaded, before any option: without it, it writes ./logs.
  process.env.PARSE_SERVER_LOGS_FOLDER = logsFolder;
  // From the tooling package (tools/), installed on first use.
  const { ParseServer } = requireTool<{ ParseServer: ParseServerClass }>('parse-server');
  const Adapter = requireTool<{
    default: new (options: Record<string, unknown>) => StorageAdapterLike;
  }>('parse-server/lib/Adapters/Storage/Mongo/MongoStorageAdapter.js').default;
  const { GridFSBucketAdapter } = requireTool<{
    GridFSBucketAdapter: new (uri: string) => unknown;
  }>('parse-server/lib/Adapters/Files/GridFSBucketAdapter.js');
  const adapter = new Adapter({ uri, mongoOptions: { monitorCommands: true } });
  await adapter.connect();
  adapter.client.on('commandStarted', countCommand);
  return {
    async mount(app, serverURL, httpServer) {
      const server = new ParseServer({
        appId: APP_ID,
        masterKey: MASTER_KEY,
        databaseAdapter: adapter,
        filesAdapter: new GridFSBucketAdapter(uri),
        serverURL,
        silent: true,
        logLevel: 'error',
        logsFolder,
        liveQuery: { classNames: [LIVE_CLASS] },
        cloud: (Parse: ParseCloudLike) => {
          Parse.Cloud.beforeSave('HookedItem', (request) => {
            request.object.set('checked', true);
          });
        },
      });
      await server.start();
      app.use('/parse', server.app);
      // parse-server's LiveQuery in the same process: its writes reach it without Redis.
      await ParseServer.createLiveQueryServer(httpServer, { appId: APP_ID, masterKey: MASTER_KEY, serverURL });
    },
    close: async () => adapter.client.close(),
  };
}

async function baseline(uri: string): Promise<Mounted> {
  const client = new MongoClient(uri, { monitorCommands: true });
  client.on('commandStarted', countCommand);
  await client.connect();
  return {
    async mount(app) {
      app.use(baselineApp(client.db()));
    },
    close: () => client.close(),
  };
}

const TARGETS: Record<TargetKind, (uri: string) => Promise<Mounted>> = {
  plinth,
  'parse-server': parseServer,
  baseline,
};

/**
 * Sends one request to itself, the first a client would make, and waits for the answer. Through
 * node:http, not fetch: loading fetch's implementation the first time would be counted as startup.
 */
async function firstRequest(port: number): Promise<void> {
  const status = await new Promise<number>((resolve, reject) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: '/parse/classes/BenchItem/i000000000',
        headers: { 'X-Parse-Application-Id': APP_ID },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
  if (status !== 200) throw new Error(`first request answered ${status}`);
}

async function main(): Promise<void> {
  // Express logs every aborted request in development; the load generator aborts some at the end of each run.
  process.env.NODE_ENV = 'production';
  const [kind, uri] = process.argv.slice(2);
  if (!kind || !(kind in TARGETS) || !uri)
    throw new Error(`usage: target-process.js plinth|parse-server|baseline <mongodb-uri> (got ${String(kind)})`);
  if (!process.send) throw new Error('target-process.js must be started with an IPC channel');
  const target = await TARGETS[kind as TargetKind](uri);
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const started = performance.now();
  await target.mount(app, `http://127.0.0.1:${port}/parse`, server);
  await firstRequest(port);
  const startupMs = performance.now() - started;
  commandCounts.clear();

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close();
    await target.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === 'cpu') send({ type: 'cpu', micros: cpuMicros() });
    else if (message.type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      send({ type: 'memory', sample: process.memoryUsage() });
    } else if (message.type === 'peakRss') send({ type: 'peakRss', bytes: process.resourceUsage().maxRSS * 1024 });
    else if (message.type === 'commands') {
      send({ type: 'commands', counts: Object.fromEntries(commandCounts) });
      commandCounts.clear();
    } else if (message.type === 'stop') void shutdown();
  });
  process.on('disconnect', () => void shutdown());
  send({ type: 'ready', port, info: { startupMs } });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
