/**
 * The built-in log for `GET /scriptlog` (the Dashboard's Logs page) when no logger adapter is set:
 * the latest lines of this process, bounded in count and in the length of each line. Lines are
 * in winston's JSON shape, as parse-server's file logs answer: `{ level, message, timestamp, ...meta }`.
 */
import type { LogLevel, LogQuery, LogReader } from './log-levels.js';

/** parse-server truncates a logged string past this length. */
const MAX_MESSAGE_LENGTH = 1000;

interface Line {
  level: LogLevel;
  message: string;
  timestamp: string;
  at: number;
  meta?: Record<string, unknown>;
}

export class MemoryLog implements LogReader {
  private readonly lines: Line[] = [];
  private next = 0;

  constructor(private readonly capacity = 1000) {}

  add(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    const text =
      message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}... (truncated)` : message;
    const now = new Date();
    const line: Line = { level, message: text, timestamp: now.toISOString(), at: now.getTime(), meta };
    // A ring: the oldest line gives way once the log is full.
    if (this.lines.length < this.capacity) this.lines.push(line);
    else this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  private ordered(): Line[] {
    return this.lines.length < this.capacity
      ? this.lines
      : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }

  query(options: LogQuery): Promise<unknown[]> {
    const from = options.from.getTime();
    const until = options.until.getTime();
    const matching = this.ordered().filter(
      (line) => line.at >= from && line.at <= until && (options.level !== 'error' || line.level === 'error'),
    );
    const picked = options.order === 'asc' ? matching.slice(0, options.size) : matching.slice(-options.size).reverse();
    return Promise.resolve(
      picked.map(({ level, message, timestamp, meta }) => ({ ...meta, level, message, timestamp })),
    );
  }
}
