/**
 * The log `GET /scriptlog` reads with `logStore: 'database'`: the lines of every process, in the
 * database. Lines are held in memory and written in batches (each second, or at once past 100
 * lines), so logging never waits for the database and costs no write per line; past 1,000 lines
 * waiting (the database unreachable), the oldest are dropped. A read writes what is waiting first.
 */
import type { LogStorage, StoredLogLine } from '../storage/log-storage.js';
import type { LogLevel, LogQuery, LogReader } from './log-levels.js';

const FLUSH_MS = 1000;
const BATCH = 100;
const MAX_WAITING = 1000;
/** parse-server truncates a logged string past this length. */
const MAX_MESSAGE_LENGTH = 1000;

export class DatabaseLog implements LogReader {
  private waiting: StoredLogLine[] = [];
  private store: LogStorage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  /** Where lines go; until it is given (the backend connecting), they wait. */
  attach(store: LogStorage): void {
    this.store = store;
    this.schedule();
  }

  add(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    const text =
      message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}... (truncated)` : message;
    this.waiting.push({ level, message: text, timestamp: new Date(), ...(meta && { meta }) });
    if (this.waiting.length > MAX_WAITING) this.waiting.splice(0, this.waiting.length - MAX_WAITING);
    if (this.waiting.length >= BATCH) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || !this.store || this.waiting.length === 0) return;
    this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Writes what is waiting, in one batch after the previous one. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const store = this.store;
    if (!store || this.waiting.length === 0) return this.writing;
    const batch = this.waiting.splice(0);
    this.writing = this.writing.then(() =>
      store.appendLogLines(batch).catch(() => {
        // The database is unreachable: these lines are lost (logging about logging would loop).
      }),
    );
    return this.writing;
  }

  async query(options: LogQuery): Promise<unknown[]> {
    await this.flush();
    if (!this.store) return [];
    const lines = await this.store.findLogLines({
      from: options.from,
      until: options.until,
      errorsOnly: options.level === 'error',
      size: options.size,
      order: options.order,
    });
    return lines.map(({ level, message, timestamp, meta }) => ({
      ...meta,
      level,
      message,
      timestamp: timestamp.toISOString(),
    }));
  }

  /** Writes what is waiting (when the backend closes). */
  close(): Promise<void> {
    return this.flush();
  }
}
