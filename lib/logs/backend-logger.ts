/**
 * The backend's one logger: every line goes to the host's `logger` (when given) and, from
 * `logLevel` up, to parse-server's `loggerAdapter` or, without one, to the built-in log that
 * `GET /scriptlog` reads: this process's latest lines in memory, or every process's in the
 * database (`logStore: 'database'`).
 */
import type { Logger } from '../config/options.js';
import { passes, type LogLevel, type LogQuery, type LogReader } from './log-levels.js';
import { DatabaseLog } from './database-log.js';
import { MemoryLog } from './memory-log.js';

/** parse-server's logger adapter contract. */
export interface LoggerAdapter {
  log(level: string, message: string, meta?: Record<string, unknown>): unknown;
  /** Past lines: a promise, or (winston's older form) the callback. */
  query?(options: LogQuery, callback?: (result: unknown) => void): unknown;
}

type Details = Record<string, unknown> | undefined;

/** `adapter.query` as a promise, whichever way the adapter answers. */
function adapterReader(adapter: LoggerAdapter): LogReader | null {
  if (typeof adapter.query !== 'function') return null;
  const query = adapter.query.bind(adapter);
  return {
    query: (options) =>
      new Promise((resolve, reject) => {
        const settle = (result: unknown): void => {
          if (result instanceof Error) reject(result);
          else resolve(Array.isArray(result) ? result : []);
        };
        const answer = query(options, settle) as Promise<unknown> | undefined;
        if (answer && typeof answer.then === 'function') answer.then(settle, reject);
      }),
  };
}

export function backendLogger(
  host: Logger | undefined,
  adapter: LoggerAdapter | null,
  threshold: LogLevel,
  store: 'memory' | 'database' = 'memory',
): { logger: Required<Logger>; logs: LogReader | null } {
  const memory = adapter ? null : store === 'database' ? new DatabaseLog() : new MemoryLog();
  const line =
    (level: LogLevel & keyof Logger) =>
    (message: string, details?: Details): void => {
      host?.[level]?.(message, details);
      if (!passes(level, threshold)) return;
      if (memory) {
        memory.add(level, message, details);
        return;
      }
      try {
        // A failing adapter must not fail the request that logged.
        const written = adapter!.log(level, message, details ?? {}) as Promise<unknown> | undefined;
        if (written && typeof written.catch === 'function') written.catch(() => undefined);
      } catch {
        // ignored, as above
      }
    };
  return {
    logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    logs: memory ?? (adapter ? adapterReader(adapter) : null),
  };
}
