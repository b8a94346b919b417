/**
 * Open change streams: tailable cursors over the change history. A `getMore` that finds no event
 * waits (the await of a tailable, awaitData cursor): it is answered when a write brings an event
 * the stream sees, or empty when its `maxTimeMS` (1 s by default, as in mongod) passes. Waiting
 * costs nothing: no timer runs but the await's own, and the history wakes the registry only when
 * something is recorded while a `getMore` waits.
 */
import { Long, Timestamp, calculateObjectSize } from 'bson';
import { Aggregator } from 'mingo';
import { comparePositions, type LogEntry, type Position } from '../engine/change-log.js';
import { badValue, CommandError, commandError, ErrorCode } from '../engine/command-error.js';
import type { Store } from '../engine/store.js';
import { keyOf, type Doc } from '../engine/values.js';
import { changeEvent, eventToWire, inScope, invalidateEvent, invalidates } from './change-events.js';
import type { ChangeStreamSpec } from './change-stream-spec.js';
import { encodeToken } from './resume-token.js';

/** mongod's await time for a getMore on an awaitData cursor that sets no `maxTimeMS`. */
const DEFAULT_AWAIT_MS = 1000;
const DEFAULT_FIRST_BATCH = 101;
/** Keeps a batch well under MongoDB's 16 MiB document limit. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** A stream nobody asked anything of for this long is closed, as idle cursors are. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface Waiter {
  readonly connectionId: number;
  readonly limit: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (reply: Doc) => void;
  readonly reject: (err: unknown) => void;
}

interface Stream {
  readonly id: bigint;
  readonly ns: string;
  readonly spec: ChangeStreamSpec;
  readonly pipeline: Aggregator | null;
  /** The last place in the history the stream has read. */
  position: Position;
  /** The change that ended the stream, once its `invalidate` is due or given. */
  invalidatedBy: LogEntry | null;
  closed: boolean;
  waiter: Waiter | null;
  lastUsed: number;
}

function historyLost(): CommandError {
  return commandError(
    ErrorCode.ChangeStreamHistoryLost,
    'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
    { errorLabels: ['NonResumableChangeStreamError'] },
  );
}

function tokenModified(): CommandError {
  return commandError(
    ErrorCode.ChangeStreamFatalError,
    'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
  );
}

export class ChangeStreamRegistry {
  private readonly streams = new Map<bigint, Stream>();
  private readonly waiting = new Set<Stream>();
  private wakeScheduled = false;

  constructor(
    private readonly store: Store,
    private readonly allocateId: () => bigint,
  ) {
    store.changes.subscribe(() => this.scheduleWake());
  }

  has(id: bigint): boolean {
    return this.streams.has(id);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream and replies with its first batch (the events already due, if it starts in the past). */
  open(spec: ChangeStreamSpec, ns: string, batchSize: number | undefined): Doc {
    this.sweep();
    const stream: Stream = {
      id: this.allocateId(),
      ns,
      spec,
      pipeline: spec.stages.length > 0 ? new Aggregator(spec.stages, { scriptEnabled: false }) : null,
      position: this.store.changes.now,
      invalidatedBy: null,
      closed: false,
      waiter: null,
      lastUsed: Date.now(),
    };
    this.start(stream);
    this.streams.set(stream.id, stream);
    return this.reply(stream, 'firstBatch', this.collectOrClose(stream, batchSize ?? DEFAULT_FIRST_BATCH));
  }

  /** Replies to `getMore` at once when events are due, else later (see the module comment). */
  getMore(
    id: bigint,
    ns: string,
    options: { batchSize?: number; maxTimeMS?: number; connectionId: number },
  ): Doc | Promise<Doc> {
    const stream = this.streams.get(id);
    if (!stream || stream.ns !== ns) throw commandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    if (stream.waiter) throw commandError(ErrorCode.CursorInUse, `cursor id ${id} is already in use`);
    stream.lastUsed = Date.now();
    const limit = options.batchSize && options.batchSize > 0 ? options.batchSize : Infinity;
    const events = this.collectOrClose(stream, limit);
    const awaitMs = options.maxTimeMS ?? DEFAULT_AWAIT_MS;
    if (events.length > 0 || stream.closed || awaitMs <= 0) return this.reply(stream, 'nextBatch', events);
    return new Promise<Doc>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(stream), awaitMs);
      stream.waiter = { connectionId: options.connectionId, limit, timer, resolve, reject };
      this.waiting.add(stream);
    });
  }

  /** Closes a stream (killCursors); a waiting getMore on it fails with CursorKilled. */
  kill(id: bigint): boolean {
    const stream = this.streams.get(id);
    if (!stream) return false;
    this.close(stream, commandError(ErrorCode.CursorKilled, `cursor id ${id} was killed`));
    return true;
  }

  /** A connection closed: the streams waiting on it are closed, as mongod kills an interrupted getMore's cursor. */
  dropConnection(connectionId: number): void {
    for (const stream of [...this.waiting])
      if (stream.waiter?.connectionId === connectionId)
        this.close(stream, commandError(ErrorCode.CursorKilled, 'the connection closed'));
  }

  /** Closes every stream (server stop). */
  clear(): void {
    for (const stream of [...this.streams.values()])
      this.close(stream, commandError(ErrorCode.CursorKilled, 'the server is stopping'));
  }

  private close(stream: Stream, reason: CommandError): void {
    const { waiter } = stream;
    this.release(stream);
    this.streams.delete(stream.id);
    waiter?.reject(reason);
  }

  private release(stream: Stream): void {
    if (stream.waiter) clearTimeout(stream.waiter.timer);
    stream.waiter = null;
    this.waiting.delete(stream);
  }

  /** Sets where a new stream starts reading, checking its resume point as mongod does. */
  private start(stream: Stream): void {
    const { start, scope } = stream.spec;
    const log = this.store.changes;
    if (start.kind === 'now') return;
    if (start.kind === 'startAtOperationTime') {
      // The operation time is included: the stream stands just before it.
      stream.position = { ts: start.ts - 1n, index: 0xffffffff };
      if (log.isLost(stream.position)) throw historyLost();
      return;
    }
    const { token } = start;
    if (token.invalidate && start.kind === 'resumeAfter')
      throw commandError(
        ErrorCode.InvalidResumeToken,
        "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.",
      );
    const position = { ts: token.ts, index: token.index };
    if (log.isLost(position)) throw historyLost();
    stream.position = position;
    // startAfter an invalidate: a new stream begins after the change that ended the old one.
    if (token.invalidate || token.index === 0xffffffff || comparePositions(position, log.oldest) === 0) return;
    const entry = log.find(position);
    if (!entry)
      throw commandError(
        ErrorCode.ChangeStreamFatalError,
        `cannot resume stream; the resume token was not found. {_data: "${String(encodeToken(position)._data)}"}`,
      );
    // Resuming after the change that ended a stream gives the invalidate that followed it.
    if (invalidates(entry, scope)) stream.invalidatedBy = entry;
  }

  /** {@link collect}, closing the stream when it fails (as a failed getMore kills its cursor). */
  private collectOrClose(stream: Stream, limit: number): Doc[] {
    try {
      return this.collect(stream, limit);
    } catch (err) {
      this.release(stream);
      this.streams.delete(stream.id);
      throw err;
    }
  }

  /** Reads the history from the stream's position: up to `limit` events, in wire form. */
  private collect(stream: Stream, limit: number): Doc[] {
    const out: Doc[] = [];
    if (stream.closed) return out;
    const log = this.store.changes;
    if (stream.invalidatedBy) {
      stream.closed = true;
      return [invalidateEvent(stream.invalidatedBy)];
    }
    if (log.isLost(stream.position)) throw historyLost();
    let bytes = 0;
    for (const entry of log.after(stream.position)) {
      if (out.length >= limit || bytes >= MAX_BATCH_BYTES) return out;
      stream.position = { ts: entry.ts, index: entry.index };
      if (!inScope(entry, stream.spec.scope)) continue;
      for (const event of this.transform(stream, changeEvent(entry, stream.spec, this.store))) {
        const wire = eventToWire(event);
        bytes += calculateObjectSize(wire);
        out.push(wire);
      }
      if (invalidates(entry, stream.spec.scope)) {
        stream.invalidatedBy = entry;
        stream.closed = true;
        out.push(invalidateEvent(entry));
        return out;
      }
    }
    // Read to the end; a stream that starts in the future (startAtOperationTime) stays there.
    if (comparePositions(log.now, stream.position) > 0) stream.position = log.now;
    return out;
  }

  /** Runs the stages after `$changeStream` on one event; they may drop it but not change its `_id`. */
  private transform(stream: Stream, event: Doc): Doc[] {
    if (!stream.pipeline) return [event];
    let results: Doc[];
    try {
      results = stream.pipeline.run([event]) as Doc[];
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw badValue(err instanceof Error ? err.message : String(err));
    }
    const token = keyOf(event._id);
    for (const result of results) if (keyOf(result._id) !== token) throw tokenModified();
    return results;
  }

  private reply(stream: Stream, batch: 'firstBatch' | 'nextBatch', events: Doc[]): Doc {
    if (stream.closed) this.streams.delete(stream.id);
    const resumeToken =
      stream.invalidatedBy && stream.closed ? encodeToken(stream.invalidatedBy, true) : encodeToken(stream.position);
    const now = this.store.changes.now.ts;
    return {
      cursor: {
        [batch]: events,
        postBatchResumeToken: resumeToken,
        id: Long.fromBigInt(stream.closed ? 0n : stream.id),
        ns: stream.ns,
      },
      operationTime: new Timestamp({ t: Number(now >> 32n), i: Number(now & 0xffffffffn) }),
    };
  }

  /** The await time of a waiting getMore passed: it gets what is due (usually nothing). */
  private expire(stream: Stream): void {
    const { waiter } = stream;
    if (!waiter) return;
    this.release(stream);
    try {
      waiter.resolve(this.reply(stream, 'nextBatch', this.collectOrClose(stream, waiter.limit)));
    } catch (err) {
      waiter.reject(err);
    }
  }

  private scheduleWake(): void {
    if (this.waiting.size === 0 || this.wakeScheduled) return;
    this.wakeScheduled = true;
    // After the command that wrote, so that one batch holds all of its changes.
    queueMicrotask(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  /** Answers every waiting getMore that now has events. */
  private wake(): void {
    for (const stream of [...this.waiting]) {
      const { waiter } = stream;
      if (!waiter) continue;
      try {
        const events = this.collectOrClose(stream, waiter.limit);
        if (events.length === 0 && !stream.closed) continue;
        this.release(stream);
        waiter.resolve(this.reply(stream, 'nextBatch', events));
      } catch (err) {
        waiter.reject(err);
      }
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const stream of [...this.streams.values()])
      if (!stream.waiter && stream.lastUsed < cutoff)
        this.close(stream, commandError(ErrorCode.CursorNotFound, 'idle'));
  }
}
