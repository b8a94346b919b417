/** What every command handler receives, and small helpers for reading command arguments. */
import { badValue, commandError, ErrorCode } from '../engine/command-error.js';
import type { Store, Workspace } from '../engine/store.js';
import type { Doc } from '../engine/values.js';
import type { ChangeStreamRegistry } from './change-streams.js';
import type { CursorRegistry } from './cursors.js';
import type { SessionRegistry } from './sessions.js';
import type { Evaluate } from './time-limit.js';

/** Server-wide state shared by all connections. */
export interface ServerState {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly changeStreams: ChangeStreamRegistry;
  readonly sessions: SessionRegistry;
  /** `host:port` the server answers as (its replica-set member name). */
  readonly address: string;
  readonly startedAt: Date;
  /** The time limit of a command that evaluates a regex and sets no `maxTimeMS` (0: none). */
  readonly regexTimeLimitMS: number;
}

/** One command being run. */
export interface CommandContext {
  /** The database the command targets (`$db`). */
  readonly db: string;
  /** The command exactly as decoded (numbers keep their BSON types). */
  readonly raw: Doc;
  /** The command normalized to plain values. */
  readonly cmd: Doc;
  /** The store, or the transaction the command runs in. */
  readonly workspace: Workspace;
  readonly server: ServerState;
  readonly connectionId: number;
  /** Runs the part of the command that evaluates documents, within its time limit (time-limit.ts). */
  readonly evaluate: Evaluate;
}

/** A reply: a document (the server adds `ok: 1`) or an already-encoded BSON body. */
export type CommandReply = Doc | Buffer;

/**
 * A command handler: it replies at once, or with a promise when the reply must wait (a change
 * stream's `getMore` awaiting events). The server answers other connections meanwhile.
 */
export type CommandHandler = (ctx: CommandContext) => CommandReply | Promise<CommandReply>;

/** The collection name a command names in its first field. */
export function collectionName(ctx: CommandContext): string {
  const name = Object.values(ctx.cmd)[0];
  if (typeof name !== 'string' || name === '') {
    throw commandError(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  }
  return name;
}

/** A non-negative integer option, or the default. */
export function integerOption(cmd: Doc, name: string, fallback: number): number {
  const value = cmd[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badValue(`${name} must be an integer`);
  return value;
}

/** An array of documents argument. */
export function documentsOption(cmd: Doc, name: string): Doc[] {
  const value = cmd[name];
  if (!Array.isArray(value))
    throw commandError(ErrorCode.TypeMismatch, `BSON field '${name}' is missing or not an array`);
  return value as Doc[];
}
