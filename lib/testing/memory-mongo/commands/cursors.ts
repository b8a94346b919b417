/**
 * Open cursors. A result is held as references to (immutable) stored documents and serialized one
 * batch at a time, so a large result costs the event loop one batch per round trip, not all at once.
 */
import { commandError, ErrorCode } from '../engine/command-error.js';
import type { Projector } from '../engine/projection.js';
import { toWire, type Doc } from '../engine/values.js';
import { encodeCursorReply, encodeDocument } from '../wire/wire-protocol.js';

const DEFAULT_FIRST_BATCH = 101;
/** Keeps a batch well under MongoDB's 16 MiB document limit. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  ns: string;
  docs: Doc[];
  position: number;
  project: Projector;
  scores: Map<Doc, number> | undefined;
  lastUsed: number;
}

/** Options of a new cursor. */
export interface CursorOptions {
  batchSize?: number;
  singleBatch?: boolean;
  project?: Projector;
  scores?: Map<Doc, number> | undefined;
}

export class CursorRegistry {
  private nextId = 1n;
  private readonly open = new Map<bigint, OpenCursor>();

  /** A new cursor id (change streams take theirs here too, so that ids never collide). */
  allocateId(): bigint {
    return this.nextId++;
  }

  /** Replies with the first batch, keeping a cursor open when more remains. */
  firstBatch(ns: string, docs: Doc[], options: CursorOptions = {}): Buffer {
    this.sweep();
    const cursor: OpenCursor = {
      ns,
      docs,
      position: 0,
      project: options.project ?? ((d) => d),
      scores: options.scores,
      lastUsed: Date.now(),
    };
    const batch = this.take(cursor, options.batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0n;
    if (cursor.position < docs.length && !options.singleBatch) {
      id = this.nextId++;
      this.open.set(id, cursor);
    }
    return encodeCursorReply('firstBatch', batch, id, ns);
  }

  /** Replies to `getMore`. */
  nextBatch(id: bigint, ns: string, batchSize: number | undefined): Buffer {
    const cursor = this.open.get(id);
    if (!cursor || cursor.ns !== ns) throw commandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    cursor.lastUsed = Date.now();
    const batch = this.take(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    let replyId = id;
    if (cursor.position >= cursor.docs.length) {
      this.open.delete(id);
      replyId = 0n;
    }
    return encodeCursorReply('nextBatch', batch, replyId, ns);
  }

  /** Closes cursors; returns which ids were open and which were not. */
  kill(ids: bigint[]): { killed: bigint[]; notFound: bigint[] } {
    const killed: bigint[] = [];
    const notFound: bigint[] = [];
    for (const id of ids) (this.open.delete(id) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  get size(): number {
    return this.open.size;
  }

  clear(): void {
    this.open.clear();
  }

  private take(cursor: OpenCursor, batchSize: number): Buffer[] {
    const out: Buffer[] = [];
    let bytes = 0;
    while (
      cursor.position < cursor.docs.length &&
      out.length < batchSize &&
      (out.length === 0 || bytes < MAX_BATCH_BYTES)
    ) {
      const chunk = cursor.docs.slice(cursor.position, cursor.position + Math.min(batchSize - out.length, 256));
      for (const doc of cursor.project(chunk, cursor.scores)) {
        const encoded = encodeDocument(toWire(doc));
        out.push(encoded);
        bytes += encoded.length;
        cursor.position++;
        if (bytes >= MAX_BATCH_BYTES) break;
      }
    }
    return out;
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const [id, cursor] of this.open) if (cursor.lastUsed < cutoff) this.open.delete(id);
  }
}
