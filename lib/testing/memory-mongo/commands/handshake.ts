/**
 * hello/isMaster and the other server-level commands. The server presents itself as the primary of
 * a one-member replica set, because the driver only runs transactions against replica sets.
 */
import { ObjectId } from 'bson';
import type { CommandHandler } from './context.js';

/** The replica-set name the server reports. */
export const REPLICA_SET_NAME = 'plinth-memory';
/** The MongoDB version and wire protocol version the server claims (MongoDB 7.0). */
export const SERVER_VERSION = '7.0.0';
const MAX_WIRE_VERSION = 21;
const electionId = new ObjectId('7fffffff0000000000000001');

export const hello: CommandHandler = (ctx) => ({
  helloOk: true,
  isWritablePrimary: true,
  ismaster: true,
  secondary: false,
  setName: REPLICA_SET_NAME,
  setVersion: 1,
  hosts: [ctx.server.address],
  primary: ctx.server.address,
  me: ctx.server.address,
  electionId,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48000000,
  maxWriteBatchSize: 100000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: ctx.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
});

export const ping: CommandHandler = () => ({});

export const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
  gitVersion: 'plinth-memory-mongo',
  bits: 64,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['memory'],
  modules: [],
});

export const serverStatus: CommandHandler = (ctx) => ({
  host: ctx.server.address,
  version: SERVER_VERSION,
  process: 'plinth-memory-mongo',
  uptime: Math.floor((Date.now() - ctx.server.startedAt.getTime()) / 1000),
  localTime: new Date(),
});

export const connectionStatus: CommandHandler = () => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
});

export const endSessions: CommandHandler = (ctx) => {
  ctx.server.sessions.end(Array.isArray(ctx.cmd.endSessions) ? ctx.cmd.endSessions : []);
  return {};
};

export const commitTransaction: CommandHandler = (ctx) => {
  ctx.server.sessions.commit(ctx.cmd);
  return {};
};

export const abortTransaction: CommandHandler = (ctx) => {
  ctx.server.sessions.abort(ctx.cmd);
  return {};
};
