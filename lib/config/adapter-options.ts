/**
 * `filesAdapter` and `loggerAdapter`, loaded in any of parse-server's forms and checked against
 * their contracts at startup, so that a wrong adapter fails `createBackend()`, not a request.
 */
import type { FilesAdapter } from '../files/files-adapter.js';
import type { LoggerAdapter } from '../logs/backend-logger.js';
import { loadAdapter, missingMethods } from './load-adapter.js';
import type { BackendConfig } from './options.js';

const FILES_ADAPTER_METHODS = ['createFile', 'deleteFile', 'getFileData', 'getFileLocation'];
const OPTIONAL_FILES_METHODS = ['validateFilename', 'handleFileStream', 'getMetadata'];

interface Loaded<T> {
  adapter: T | null;
  problems: string[];
}

function load<T>(option: string, given: unknown, check: (adapter: unknown) => string[]): Loaded<T> {
  if (given === undefined || given === null) return { adapter: null, problems: [] };
  let adapter: unknown;
  try {
    adapter = loadAdapter(given);
  } catch (err) {
    return { adapter: null, problems: [`${option}: could not be loaded (${String(err)})`] };
  }
  const problems = check(adapter).map((problem) => `${option}: ${problem}`);
  return problems.length > 0 ? { adapter: null, problems } : { adapter: adapter as T, problems };
}

export function resolveFilesAdapter(config: BackendConfig): Loaded<FilesAdapter> {
  return load('filesAdapter', config.filesAdapter, (adapter) => {
    const missing = missingMethods(adapter, FILES_ADAPTER_METHODS);
    if (missing.length > 0) return [`must have ${missing.join(', ')} (parse-server's files adapter contract)`];
    const loose = adapter as Record<string, unknown>;
    return OPTIONAL_FILES_METHODS.filter((name) => loose[name] != null && typeof loose[name] !== 'function').map(
      (name) => `${name} must be a function when given`,
    );
  });
}

export function resolveLoggerAdapter(config: BackendConfig): Loaded<LoggerAdapter> {
  return load('loggerAdapter', config.loggerAdapter, (adapter) => {
    if (missingMethods(adapter, ['log']).length > 0)
      return ["must have log(level, message, meta) (parse-server's logger adapter contract)"];
    const query = (adapter as Record<string, unknown>).query;
    return query != null && typeof query !== 'function' ? ['query must be a function when given'] : [];
  });
}
