/** parse-server's (winston's) log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether a line at `level` passes a threshold of `threshold`. */
export function passes(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold);
}

/** What `GET /scriptlog` asks, as parse-server's LogsRouter reads it. */
export interface LogQuery {
  from: Date;
  until: Date;
  size: number;
  order: 'asc' | 'desc';
  /** `error` asks for errors only; any other level, for every line kept. */
  level: string;
}

/** A source of past log lines for `GET /scriptlog`. */
export interface LogReader {
  query(options: LogQuery): Promise<unknown[]>;
}
