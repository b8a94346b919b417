/**
 * The in-memory MongoDB server: a TCP listener on loopback speaking the wire protocol, running
 * each command synchronously against the store (so every command is atomic, as a single-document
 * write is in MongoDB, and multi-document ones are too). A command may reply later (a change
 * stream's getMore awaiting events): its connection then waits for that reply before running its
 * next message, as a mongod connection runs one operation at a time, while other connections go on.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { runCommand } from './commands/index.js';
import { ChangeStreamRegistry } from './commands/change-streams.js';
import type { CommandReply, ServerState } from './commands/context.js';
import { CursorRegistry } from './commands/cursors.js';
import { SessionRegistry } from './commands/sessions.js';
import { Store } from './engine/store.js';
import { loadStore, saveStore } from './persistence.js';
import {
  encodeDocument,
  encodeLegacyReply,
  encodeMsgReply,
  FLAG_MORE_TO_COME,
  messageLength,
  OP_MSG,
  parseMessage,
  type WireRequest,
} from './wire/wire-protocol.js';

/** Options of {@link MemoryMongoServer.start}. */
export interface MemoryMongoServerOptions {
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** A file to load the data from at start and save it to at stop. */
  persist?: string;
  /**
   * How long a command that evaluates a regular expression may run when it sets no `maxTimeMS`
   * of its own, in milliseconds (default 10,000; 0: no limit). Past it the command fails with
   * MaxTimeMSExpired (50): one catastrophic pattern would otherwise hold the server for minutes.
   */
  regexTimeLimitMS?: number;
  /**
   * How many changes (document writes, drops, renames) the server keeps for change streams
   * (default 10,000). A stream resumed from a point older than that fails with
   * ChangeStreamHistoryLost (286), as mongod's does once its oplog has moved on.
   */
  changeHistorySize?: number;
}

/** One client connection: its unframed bytes, and whether a reply is still being awaited. */
interface Connection {
  readonly id: number;
  readonly socket: Socket;
  pending: Buffer;
  waiting: boolean;
}

/** The default of {@link MemoryMongoServerOptions.regexTimeLimitMS}. */
export const DEFAULT_REGEX_TIME_LIMIT_MS = 10_000;

/** Refuse absurd message sizes before buffering them (MongoDB's own limit is 48 MB). */
const MAX_MESSAGE_BYTES = 48 * 1024 * 1024 + 1024;

export class MemoryMongoServer {
  readonly store: Store;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private state!: ServerState;
  private nextConnectionId = 1;
  private nextRequestId = 1;
  private persistPath: string | undefined;
  private stopping = false;

  private constructor(store: Store) {
    this.store = store;
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts a server on 127.0.0.1, loading persisted data first when `persist` is set. */
  static async start(options: MemoryMongoServerOptions = {}): Promise<MemoryMongoServer> {
    const instance = new MemoryMongoServer(new Store(options.changeHistorySize));
    instance.persistPath = options.persist;
    if (options.persist) {
      await loadStore(instance.store, options.persist);
      // Loading inserts every document; those are not changes anyone could watch.
      instance.store.changes.forget();
    }
    await new Promise<void>((resolve, reject) => {
      instance.server.once('error', reject);
      instance.server.listen(options.port ?? 0, '127.0.0.1', () => {
        instance.server.off('error', reject);
        resolve();
      });
    });
    const address = `127.0.0.1:${instance.port}`;
    const cursors = new CursorRegistry();
    instance.state = {
      store: instance.store,
      cursors,
      changeStreams: new ChangeStreamRegistry(instance.store, () => cursors.allocateId()),
      sessions: new SessionRegistry(instance.store),
      address,
      startedAt: new Date(),
      regexTimeLimitMS: options.regexTimeLimitMS ?? DEFAULT_REGEX_TIME_LIMIT_MS,
    };
    return instance;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server is not listening');
    return address.port;
  }

  /** A connection string for the driver. */
  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Number of open change streams (waiting or not). */
  get changeStreams(): number {
    return this.state.changeStreams.size;
  }

  /**
   * Closes every client connection while the server goes on with its data and history, as a network
   * blip or a failover does: clients reconnect, and change streams resume where they were.
   */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Closes every connection, stops listening, and saves the data when `persist` was set. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.state.cursors.clear();
    this.state.changeStreams.clear();
    this.state.sessions.clear();
    if (this.persistPath) await saveStore(this.store, this.persistPath);
  }

  private accept(socket: Socket): void {
    // A connection the kernel accepted just before stop() is still delivered afterwards: left open,
    // it would keep close() waiting and its client waiting for answers that never come.
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection: Connection = { id: this.nextConnectionId++, socket, pending: Buffer.alloc(0), waiting: false };
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      connection.pending = connection.pending.length === 0 ? chunk : Buffer.concat([connection.pending, chunk]);
      this.drain(connection);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.state.changeStreams.dropConnection(connection.id);
    });
  }

  /** Runs every complete message buffered on the connection, until one's reply must be awaited. */
  private drain(connection: Connection): void {
    const { socket } = connection;
    try {
      while (!connection.waiting && !socket.destroyed) {
        const rest = connection.pending;
        const length = messageLength(rest);
        if (length === null) return;
        if (length < 16 || length > MAX_MESSAGE_BYTES) throw new Error(`bad message length ${length}`);
        if (rest.length < length) return;
        const request = parseMessage(rest.subarray(0, length));
        connection.pending = rest.subarray(length);
        const database = request.collectionName?.split('.')[0];
        const reply = runCommand(this.state, request.command, database, connection.id);
        if (reply instanceof Promise) {
          connection.waiting = true;
          void reply.then((later) => {
            connection.waiting = false;
            if (socket.destroyed) return;
            this.respond(socket, request, later);
            this.drain(connection);
          });
          return;
        }
        this.respond(socket, request, reply);
      }
    } catch {
      // A malformed message leaves the stream unframed: drop the connection, as mongod does.
      socket.destroy();
    }
  }

  private respond(socket: Socket, request: WireRequest, reply: CommandReply): void {
    if (request.opCode === OP_MSG && request.flags & FLAG_MORE_TO_COME) return;
    const body = Buffer.isBuffer(reply) ? reply : encodeDocument(reply);
    const encode = request.opCode === OP_MSG ? encodeMsgReply : encodeLegacyReply;
    socket.write(encode(body, this.nextRequestId++, request.requestId));
  }
}
