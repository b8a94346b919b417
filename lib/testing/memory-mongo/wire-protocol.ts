/**
 * MongoDB's wire protocol: framing of OP_MSG (with document-sequence sections) and the legacy
 * OP_QUERY/OP_REPLY pair the driver's first handshake may use. See MongoDB's "Wire Protocol" spec.
 */
import { deserialize, serialize } from 'bson';
import type { Doc } from './engine/values.js';

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
  const prefix = Buffer.allocUnsafe(5);
  prefix.writeUInt32LE(0, 0);
  prefix.writeUInt8(0, 4);
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), prefix, body], length);
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

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function element(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), cstring(name), value]);
}

function wrapDocument(elements: Buffer[]): Buffer {
  const bodyLength = elements.reduce((n, e) => n + e.length, 0);
  const out = Buffer.allocUnsafe(4 + bodyLength + 1);
  out.writeInt32LE(out.length, 0);
  let offset = 4;
  for (const e of elements) {
    e.copy(out, offset);
    offset += e.length;
  }
  out.writeUInt8(0, offset);
  return out;
}

/**
 * `{ cursor: { <batchField>: [docs], id, ns }, ok: 1 }` built around documents that are already
 * BSON, so that a batch is serialized exactly once.
 */
export function encodeCursorReply(batchField: 'firstBatch' | 'nextBatch', docs: Buffer[], cursorId: bigint, ns: string): Buffer {
  const array = wrapDocument(docs.map((d, i) => element(0x03, String(i), d)));
  const id = Buffer.allocUnsafe(8);
  id.writeBigInt64LE(cursorId, 0);
  const nsBytes = Buffer.from(ns, 'utf8');
  const nsValue = Buffer.allocUnsafe(4 + nsBytes.length + 1);
  nsValue.writeInt32LE(nsBytes.length + 1, 0);
  nsBytes.copy(nsValue, 4);
  nsValue.writeUInt8(0, 4 + nsBytes.length);
  const cursor = wrapDocument([element(0x04, batchField, array), element(0x12, 'id', id), element(0x02, 'ns', nsValue)]);
  const ok = Buffer.allocUnsafe(8);
  ok.writeDoubleLE(1, 0);
  return wrapDocument([element(0x03, 'cursor', cursor), element(0x01, 'ok', ok)]);
}
