/**
 * Just enough of MongoDB's wire protocol for the stub server: split a byte stream into messages,
 * find the command name of an OP_MSG or legacy OP_QUERY request, and frame a reply around a body
 * that was serialized once. plinth does not export its own framing helpers, so the bench carries
 * this small, independent version.
 */

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
/** OP_MSG flag: the client expects no reply (unacknowledged write). */
const MORE_TO_COME = 1 << 1;
/** Upper bound on a message, so a corrupt length cannot make the stub buffer forever. */
const MAX_MESSAGE_BYTES = 48_000_000;

/** What the stub needs to know about a request. */
export interface RequestInfo {
  requestId: number;
  opCode: number;
  /** The command's first key (e.g. `find`, `hello`), as sent. */
  commandName: string;
  /** True when the client wants no reply. */
  noReply: boolean;
}

/**
 * Accumulates socket chunks and hands out complete messages. Chunks are only concatenated when a
 * message spans them, which on loopback with small requests is rare.
 */
export class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk; returns the complete messages it finished, in order. */
  push(chunk: Buffer): Buffer[] {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (buffer.length >= 4) {
      const length = buffer.readInt32LE(0);
      if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new Error(`bad message length ${length}`);
      if (buffer.length < length) break;
      messages.push(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    this.pending = buffer;
    return messages;
  }
}

/** Reads a NUL-terminated string. */
function readCString(buffer: Buffer, offset: number): { value: string; next: number } {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new Error('unterminated C string');
  return { value: buffer.toString('latin1', offset, end), next: end + 1 };
}

/** The name of a BSON document's first element, read in place (no deserialization). */
function firstKey(buffer: Buffer, documentOffset: number): string {
  // Skip the int32 document length and the element's type byte.
  return readCString(buffer, documentOffset + 5).value;
}

/** Offset of the OP_MSG body (the kind-0 section), skipping any document-sequence sections. */
function msgBodyOffset(message: Buffer): number {
  let offset = HEADER_BYTES + 4;
  while (offset < message.length) {
    const kind = message.readUInt8(offset);
    if (kind === 0) return offset + 1;
    if (kind !== 1) throw new Error(`unknown OP_MSG section kind ${kind}`);
    offset += 1 + message.readInt32LE(offset + 1);
  }
  throw new Error('OP_MSG without a body section');
}

/** Reads the header and command name of one complete message. */
export function inspectRequest(message: Buffer): RequestInfo {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = message.readUInt32LE(HEADER_BYTES);
    return {
      requestId,
      opCode,
      commandName: firstKey(message, msgBodyOffset(message)),
      noReply: (flags & MORE_TO_COME) !== 0,
    };
  }
  if (opCode === OP_QUERY) {
    // flags, fullCollectionName, numberToSkip, numberToReturn, then the query document.
    const { next } = readCString(message, HEADER_BYTES + 4);
    const queryOffset = next + 8;
    let name = firstKey(message, queryOffset);
    // A legacy command may arrive wrapped as { $query: { ... }, $readPreference: ... }.
    if (name === '$query') name = firstKey(message, queryOffset + 5 + name.length + 1);
    return { requestId, opCode, commandName: name, noReply: false };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

function writeHeader(out: Buffer, requestId: number, responseTo: number, opCode: number): void {
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
}

/** OP_MSG reply: header, flags 0, one kind-0 section holding `body`. */
export function frameMsgReply(body: Uint8Array, requestId: number, responseTo: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + 5 + body.length);
  writeHeader(out, requestId, responseTo, OP_MSG);
  out.writeUInt32LE(0, HEADER_BYTES);
  out.writeUInt8(0, HEADER_BYTES + 4);
  out.set(body, HEADER_BYTES + 5);
  return out;
}

/** OP_REPLY to a legacy OP_QUERY: no cursor, one document. */
export function frameLegacyReply(body: Uint8Array, requestId: number, responseTo: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + 20 + body.length);
  writeHeader(out, requestId, responseTo, OP_REPLY);
  // responseFlags 0, cursorID 0, startingFrom 0 are already zero; numberReturned is 1.
  out.writeInt32LE(1, HEADER_BYTES + 16);
  out.set(body, HEADER_BYTES + 20);
  return out;
}
