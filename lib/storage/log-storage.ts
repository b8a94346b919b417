/**
 * The log part of the storage contract (`logStore: 'database'`): log lines of every process in
 * `_Logs`, Plinth's own collection, read back by `GET /scriptlog`. Lines are written in batches,
 * never one write per line, and removed by the database a week after they were logged.
 */
export interface StoredLogLine {
  level: string;
  message: string;
  timestamp: Date;
  meta?: Record<string, unknown>;
}

export interface LogLineQuery {
  from: Date;
  until: Date;
  /** Only lines logged at `error`. */
  errorsOnly: boolean;
  size: number;
  order: 'asc' | 'desc';
}

export interface LogStorage {
  /** Appends lines (one batch: one write). */
  appendLogLines(lines: readonly StoredLogLine[]): Promise<void>;
  /** Lines logged between `from` and `until`, in `order` of time, at most `size`. */
  findLogLines(query: LogLineQuery): Promise<StoredLogLine[]>;
}
