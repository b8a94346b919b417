/**
 * Logical sessions and the transactions they run. A command is in a transaction when it carries
 * `txnNumber` with `autocommit: false`; `txnNumber` alone marks a retryable write, run as usual.
 */
import { commandError, ErrorCode } from '../engine/command-error.js';
import { Transaction, type Store, type Workspace } from '../engine/store.js';
import { isPlainObject, keyOf, type Doc } from '../engine/values.js';

interface SessionState {
  transaction: Transaction | null;
}

function noSuchTransaction(txnNumber: number): Error {
  return commandError(
    ErrorCode.NoSuchTransaction,
    `Transaction with txnNumber ${txnNumber} has been aborted or was never started.`,
    {
      errorLabels: ['TransientTransactionError'],
    },
  );
}

export class SessionRegistry {
  private readonly sessions = new Map<string, SessionState>();

  constructor(private readonly store: Store) {}

  private sessionKey(cmd: Doc): string | null {
    return isPlainObject(cmd.lsid) ? keyOf(cmd.lsid.id) : null;
  }

  /** The workspace a command runs in: its transaction's view, or the store. */
  workspaceFor(cmd: Doc): Workspace {
    // Most commands are outside any transaction: tell so before building the session key.
    if (cmd.autocommit !== false || typeof cmd.txnNumber !== 'number') return this.store;
    const key = this.sessionKey(cmd);
    if (key === null) return this.store;
    let session = this.sessions.get(key);
    if (!session) {
      session = { transaction: null };
      this.sessions.set(key, session);
    }
    if (cmd.startTransaction === true) {
      session.transaction?.abort();
      session.transaction = new Transaction(this.store, cmd.txnNumber, isPlainObject(cmd.lsid) ? cmd.lsid : {});
      return session.transaction;
    }
    const txn = session.transaction;
    if (!txn || txn.txnNumber !== cmd.txnNumber || txn.state !== 'active') throw noSuchTransaction(cmd.txnNumber);
    return txn;
  }

  /** `commitTransaction`: commits, or confirms a commit already done (the driver may retry). */
  commit(cmd: Doc): void {
    const txn = this.transactionOf(cmd);
    if (txn.state === 'committed') return;
    if (txn.state !== 'active') throw noSuchTransaction(txn.txnNumber);
    txn.commit();
  }

  abort(cmd: Doc): void {
    const txn = this.transactionOf(cmd);
    if (txn.state === 'committed') {
      throw commandError(ErrorCode.TransactionCommitted, `Transaction ${txn.txnNumber} has been committed.`);
    }
    if (txn.state !== 'active') throw noSuchTransaction(txn.txnNumber);
    txn.abort();
  }

  private transactionOf(cmd: Doc): Transaction {
    const key = this.sessionKey(cmd);
    const txnNumber = typeof cmd.txnNumber === 'number' ? cmd.txnNumber : -1;
    const txn = key === null ? null : this.sessions.get(key)?.transaction;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
    return txn;
  }

  /** `endSessions`: forgets the sessions, aborting their open transactions. */
  end(ids: unknown[]): void {
    for (const id of ids) {
      if (!isPlainObject(id)) continue;
      const key = keyOf(id.id);
      this.sessions.get(key)?.transaction?.abort();
      this.sessions.delete(key);
    }
  }

  clear(): void {
    this.sessions.clear();
  }
}
