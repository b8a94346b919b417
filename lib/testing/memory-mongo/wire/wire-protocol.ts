/**
 * MongoDB's wire protocol: framing of OP_MSG (with document-sequence sections) and the legacy
 * OP_QUERY/OP_REPLY pair the driver's first handshake may use. See MongoDB's "Wire Protocol" spec.
 */
import { deserialize, serialize } from 'bson';
import type { Doc } from '../engine/values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
const FLAG_CHECKSUM_PRESENT = 1 << 0;
/** Set by the client when it wants no reply (unacknowledged writes). */
export const FLAG_MORE_TO_COME = 1 << 1;

/**
 * Numbers stay typed (Int32, Double, Long) so that stored values keep their exact BSON type, and
 * regexes stay BSONRegExp, since bson's own RegExp conversion loses options (see regex.ts).
 */
const DESERIALIZE_OPTIONS = { promoteValues: false, promoteBuffers: false, bsonRegExp: true } as const;

/** A request read off a connection. */
export interface WireRequest {
  requestId: number;
  opCode: number;
  flags: number;
  /** The command document, with document sequences attached as arrays under their identifiers. */
  command: Doc;
  /** For OP_QUERY: the full collection name (e.g. `admin.$cmd`). */
  collectionName?: string;
}

/** Reads the total length of the next message if its header is buffered. */
export function messageLength(buffer: Buffer): number | null {
  return buffer.length >= 4 ? buffer.readInt32LE(0) : null;
}

function readCString(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new Error('unterminated C string');
  return [buffer.toString('utf8', offset, end), end + 1];
}

function readDocument(buffer: Buffer, offset: number): [Doc, number] {
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > buffer.length) throw new Error('truncated BSON document');
  return [deserialize(buffer.subarray(offset, offset + size), DESERIALIZE_OPTIONS) as Doc, offset + size];
}

/** Parses one complete message (header included). Throws on a malformed or unsupported message. */
export function parseMessage(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = message.readUInt32LE(HEADER_SIZE);
    const end = message.length - (flags & FLAG_CHECKSUM_PRESENT ? 4 : 0);
    let offset = HEADER_SIZE + 4;
    let command: Doc | null = null;
    const sequences: [string, Doc[]][] = [];
    while (offset < end) {
      const kind = message.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        [command, offset] = readDocument(message, offset);
      } else if (kind === 1) {
        const sectionEnd = offset + message.readInt32LE(offset);
        const [identifier, start] = readCString(message, offset + 4);
        let cursor = start;
        const docs: Doc[] = [];
        while (cursor < sectionEnd) {
          let doc: Doc;
          [doc, cursor] = readDocument(message, cursor);
          docs.push(doc);
        }
        sequences.push([identifier, docs]);
        offset = sectionEnd;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!command) throw new Error('OP_MSG without a body section');
    for (const [identifier, docs] of sequences) command[identifier] = docs;
    return { requestId, opCode, flags, command };
  }
  if (opCode === OP_QUERY) {
    const flags = message.readInt32LE(HEADER_SIZE);
    const [collectionName, offset] = readCString(message, HEADER_SIZE + 4);
    const [query] = readDocument(message, offset + 8);
    // A legacy command may be wrapped as { $query: {...}, $readPreference: ... }.
    const command = query.$query && typeof query.$query === 'object' ? (query.$query as Doc) : query;
    return { requestId, opCode, flags, command, collectionName };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** An OP_MSG reply carrying one already-serialized body document. */
export function encodeMsgReply(body: Buffer, requestId: number, responseTo: number): Buffer {
  const length = HEADER_SIZE + 4 + 1 + body.length;
  // One allocation: every reply goes through here.
  const out = Buffer.allocUnsafe(length);
  out.writeInt32LE(length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(OP_MSG, 12);
  out.writeUInt32LE(0, HEADER_SIZE);
  out.writeUInt8(0, HEADER_SIZE + 4);
  body.copy(out, HEADER_SIZE + 5);
  return out;
}

/** An OP_REPLY carrying one document, the answer to a legacy OP_QUERY. */
export function encodeLegacyReply(body: Buffer, requestId: number, responseTo: number): Buffer {
  const length = HEADER_SIZE + 20 + body.length;
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(0n, 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, body], length);
}

/** Serializes a document to BSON, as a Buffer (bson itself returns a plain Uint8Array). */
export function encodeDocument(doc: Doc): Buffer {
  const bytes = serialize(doc);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- hand-assembled BSON for cursor replies: documents are serialized once, then spliced ----

/** Bytes of the decimal index `i` as an array element name, with its NUL. */
function indexNameLength(i: number): number {
  return String(i).length + 1;
}

/**
 * `{ cursor: { <batchField>: [docs], id, ns }, ok: 1 }` built around documents that are already
 * BSON, so that a batch is serialized exactly once. The reply is written into one buffer sized
 * up front (a reply is built for every read, and small allocations are most of its cost).
 */
export function encodeCursorReply(
  batchField: 'firstBatch' | 'nextBatch',
  docs: Buffer[],
  cursorId: bigint,
  ns: string,
): Buffer {
  let arrayLength = 4 + 1;
  for (let i = 0; i < docs.length; i++) arrayLength += 1 + indexNameLength(i) + docs[i]!.length;
  const nsLength = Buffer.byteLength(ns, 'utf8');
  const batchNameLength = batchField.length + 1;
  // cursor: int32 length, the batch array, `id` (int64), `ns` (string), NUL.
  const cursorLength = 4 + (1 + batchNameLength + arrayLength) + (1 + 3 + 8) + (1 + 3 + 4 + nsLength + 1) + 1;
  // reply: int32 length, `cursor` (document), `ok` (double), NUL.
  const total = 4 + (1 + 7 + cursorLength) + (1 + 3 + 8) + 1;
  const out = Buffer.allocUnsafe(total);
  let at = out.writeInt32LE(total, 0);
  at = out.writeUInt8(0x03, at);
  at += out.write('cursor\0', at, 'latin1');
  at = out.writeInt32LE(cursorLength, at);
  at = out.writeUInt8(0x04, at);
  at += out.write(`${batchField}\0`, at, 'latin1');
  at = out.writeInt32LE(arrayLength, at);
  for (let i = 0; i < docs.length; i++) {
    at = out.writeUInt8(0x03, at);
    at += out.write(`${i}\0`, at, 'latin1');
    at += docs[i]!.copy(out, at);
  }
  at = out.writeUInt8(0, at);
  at = out.writeUInt8(0x12, at);
  at += out.write('id\0', at, 'latin1');
  at = out.writeBigInt64LE(cursorId, at);
  at = out.writeUInt8(0x02, at);
  at += out.write('ns\0', at, 'latin1');
  at = out.writeInt32LE(nsLength + 1, at);
  at += out.write(ns, at, 'utf8');
  at = out.writeUInt8(0, at);
  at = out.writeUInt8(0, at);
  at = out.writeUInt8(0x01, at);
  at += out.write('ok\0', at, 'latin1');
  at = out.writeDoubleLE(1, at);
  at = out.writeUInt8(0, at);
  if (at !== total) throw new Error(`cursor reply is ${at} bytes, expected ${total}`);
  return out;
}
