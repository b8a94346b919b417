/**
 * parse-server's adapter forms, read as its adapter loader reads them, for every adapter option
 * (email, files, logger, identity providers): an object used as it is; `{ module }`, `{ class }` or
 * `{ adapter }` with `options`; a package name or module path, required from the host app's working
 * directory (its `default` export when it has one); a function, called with the options or, when
 * it is a class, constructed with them.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

type Loose = Record<string, unknown>;

/** Loads what `adapter` names; `options` when it names nothing, as parse-server. */
export function loadAdapter(adapter: unknown, options?: unknown): unknown {
  if (!adapter) return options;
  if (typeof adapter === 'string') {
    const required = createRequire(join(process.cwd(), 'package.json'))(adapter) as Loose;
    return loadAdapter(required.default ?? required, options);
  }
  if (typeof adapter === 'function') {
    try {
      return (adapter as (options: unknown) => unknown)(options);
    } catch (err) {
      // A class cannot be called without `new`.
      if (!(err instanceof TypeError)) throw err;
      return new (adapter as new (options: unknown) => unknown)(options);
    }
  }
  if (typeof adapter === 'object') {
    const shape = adapter as Loose;
    for (const key of ['module', 'class', 'adapter']) {
      if (shape[key]) return loadAdapter(shape[key], shape.options);
    }
  }
  return adapter;
}

/** The names of `methods` that `adapter` lacks as functions. */
export function missingMethods(adapter: unknown, methods: readonly string[]): string[] {
  if (adapter === null || typeof adapter !== 'object') return [...methods];
  return methods.filter((name) => typeof (adapter as Loose)[name] !== 'function');
}
