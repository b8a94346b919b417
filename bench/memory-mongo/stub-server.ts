/**
 * The floor: a server that speaks the same wire protocol as plinth's in-memory MongoDB but does no
 * work — every reply is serialized once in advance. "find by _id" against it measures what the
 * driver, the sockets and the framing cost on their own, which no real server can beat.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Long, ObjectId, serialize, type Document } from 'bson';
import { makeDoc } from './documents.js';
import { frameLegacyReply, frameMsgReply, inspectRequest, MessageSplitter, OP_MSG } from './framing.js';

/** Database and collection the bench uses; the canned cursor reply names them. */
export const BENCH_NAMESPACE = 'bench.docs';

/**
 * The shape plinth's handshake returns (lib/testing/memory-mongo/commands/handshake.ts): the
 * primary of a one-member replica set. The driver needs the same topology from the stub so it
 * takes the same code paths (sessions, retryable reads) as against the real server.
 */
function helloReply(address: string, connectionId: number): Document {
  return {
    helloOk: true,
    isWritablePrimary: true,
    ismaster: true,
    secondary: false,
    setName: 'plinth-memory',
    setVersion: 1,
    hosts: [address],
    primary: address,
    me: address,
    electionId: new ObjectId('7fffffff0000000000000001'),
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

/** A one-document, already exhausted cursor (id 0), holding a document shaped like the bench's. */
function findReply(): Uint8Array {
  return serialize({ cursor: { firstBatch: [makeDoc(0)], id: Long.fromNumber(0), ns: BENCH_NAMESPACE }, ok: 1 });
}

/** Replies serialized once per server (or per connection, for hello's connectionId). */
interface CannedReplies {
  find: Uint8Array;
  ok: Uint8Array;
}

export class StubServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly canned: CannedReplies = { find: findReply(), ok: serialize({ ok: 1 }) };
  private nextConnectionId = 1;
  private nextRequestId = 1;

  private constructor() {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens on a free loopback port. */
  static async start(): Promise<StubServer> {
    const stub = new StubServer();
    await new Promise<void>((resolve, reject) => {
      stub.server.once('error', reject);
      stub.server.listen(0, '127.0.0.1', () => resolve());
    });
    return stub;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('stub is not listening');
    return address.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const hello = serialize(helloReply(`127.0.0.1:${this.port}`, this.nextConnectionId++));
    const splitter = new MessageSplitter();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of splitter.push(chunk)) this.answer(socket, message, hello);
      } catch {
        // An unparseable stream cannot be re-framed; drop it as a server would.
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private answer(socket: Socket, message: Buffer, hello: Uint8Array): void {
    const request = inspectRequest(message);
    if (request.noReply) return;
    const body = this.bodyFor(request.commandName, hello);
    const frame = request.opCode === OP_MSG ? frameMsgReply : frameLegacyReply;
    socket.write(frame(body, this.nextRequestId++, request.requestId));
  }

  private bodyFor(commandName: string, hello: Uint8Array): Uint8Array {
    switch (commandName.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return hello;
      case 'find':
        return this.canned.find;
      default:
        // ping, endSessions and anything else the driver sends: a bare success.
        return this.canned.ok;
    }
  }
}
