/** The command table and the dispatcher that turns any failure into MongoDB's error reply. */
import { CommandError, commandError, ErrorCode } from '../engine/command-error.js';
import { Transaction, type Workspace } from '../engine/store.js';
import { fromWire, type Doc } from '../engine/values.js';
import * as admin from './admin.js';
import type { CommandHandler, CommandReply, ServerState } from './context.js';
import * as handshake from './handshake.js';
import * as reads from './reads.js';
import { evaluatorFor } from './time-limit.js';
import * as writes from './writes.js';

const handlers = new Map<string, CommandHandler>([
  ['hello', handshake.hello],
  ['ismaster', handshake.hello],
  ['ping', handshake.ping],
  ['buildinfo', handshake.buildInfo],
  ['serverstatus', handshake.serverStatus],
  ['connectionstatus', handshake.connectionStatus],
  ['endsessions', handshake.endSessions],
  ['committransaction', handshake.commitTransaction],
  ['aborttransaction', handshake.abortTransaction],
  ['insert', writes.insert],
  ['update', writes.update],
  ['delete', writes.remove],
  ['findandmodify', writes.findAndModify],
  ['find', reads.find],
  ['getmore', reads.getMore],
  ['killcursors', reads.killCursors],
  ['count', reads.count],
  ['distinct', reads.distinct],
  ['aggregate', reads.aggregate],
  ['explain', reads.explain],
  ['createindexes', admin.createIndexes],
  ['listindexes', admin.listIndexes],
  ['dropindexes', admin.dropIndexes],
  ['deleteindexes', admin.dropIndexes],
  ['listcollections', admin.listCollections],
  ['create', admin.create],
  ['drop', admin.drop],
  ['dropdatabase', admin.dropDatabase],
  ['listdatabases', admin.listDatabases],
  ['renamecollection', admin.renameCollection],
  ['collmod', admin.collMod],
]);

/** Commands that may not run inside a transaction (they have no transaction view). */
const TRANSACTION_FREE = new Set([
  'hello',
  'ismaster',
  'ping',
  'buildinfo',
  'endsessions',
  'committransaction',
  'aborttransaction',
]);

function errorReply(err: unknown): Doc {
  // Anything that is not a CommandError is a bug here, reported as such rather than as bad input.
  const error =
    err instanceof CommandError
      ? err
      : commandError(ErrorCode.InternalError, err instanceof Error ? err.message : String(err));
  return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName, ...error.extra };
}

/** What a command's reply becomes: `ok: 1` added, or MongoDB's error reply. */
function finish(reply: CommandReply): CommandReply {
  return Buffer.isBuffer(reply) ? reply : { ...reply, ok: 1 };
}

/**
 * Runs one command; never throws. `database` is `$db`, or the OP_QUERY namespace's database. The
 * reply is a promise when the command waits (a change stream's getMore); it never rejects.
 */
export function runCommand(
  server: ServerState,
  raw: Doc,
  database: string | undefined,
  connectionId: number,
): CommandReply | Promise<CommandReply> {
  const name = Object.keys(raw)[0];
  const handler = name === undefined ? undefined : handlers.get(name.toLowerCase());
  if (!handler || name === undefined) {
    return errorReply(commandError(ErrorCode.CommandNotFound, `no such command: '${String(name)}'`));
  }
  let workspace: Workspace | undefined;
  try {
    const cmd = fromWire(raw) as Doc;
    const db = typeof cmd.$db === 'string' ? cmd.$db : (database ?? 'admin');
    workspace = TRANSACTION_FREE.has(name.toLowerCase()) ? server.store : server.sessions.workspaceFor(cmd);
    const evaluate = evaluatorFor(name.toLowerCase(), cmd, server.regexTimeLimitMS);
    const reply = handler({ db, raw, cmd, workspace, server, connectionId, evaluate });
    if (reply instanceof Promise) return reply.then(finish, errorReply);
    // As in MongoDB, a statement that fails (even with a write error) aborts its transaction.
    if (workspace instanceof Transaction && !Buffer.isBuffer(reply) && Array.isArray(reply.writeErrors))
      workspace.abort();
    return finish(reply);
  } catch (err) {
    if (workspace instanceof Transaction) workspace.abort();
    return errorReply(err);
  }
}
