/**
 * The query a beforeFind hook sees as `request.query`: Parse.Query's building methods over a REST
 * `where` and the find options. The hook changes it in place or returns another one.
 */
import { toRestValue } from './encode.js';
import type { Json } from '../values/json.js';

/** The find options a query carries besides `where`. */
export interface QueryOptions {
  order?: string[];
  limit?: number;
  skip?: number;
  keys?: string[];
  excludeKeys?: string[];
  include?: string[];
  /** MongoDB read preferences (`'PRIMARY'`, `'SECONDARY'`, ...): of the query, its includes, its sub-queries. */
  readPreference?: string;
  includeReadPreference?: string;
  subqueryReadPreference?: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class HookQuery {
  readonly className: string;
  /** The REST `where`, as the client sent it and as the methods below change it. */
  where: Json;
  private options: QueryOptions;

  /** A query on `className`; a beforeFind hook may return a new one to run instead of the client's. */
  constructor(className: string, where: Json = {}, options: QueryOptions = {}) {
    this.className = className;
    this.where = structuredClone(where);
    this.options = { ...options };
  }

  private condition(key: string, operator: string, value: unknown): this {
    const current = this.where[key];
    const conditions =
      current !== null && typeof current === 'object' && !Array.isArray(current) && !('__type' in current)
        ? (current as Json)
        : {};
    this.where[key] = { ...conditions, [operator]: toRestValue(value) };
    return this;
  }

  equalTo(key: string, value: unknown): this {
    this.where[key] = toRestValue(value);
    return this;
  }

  notEqualTo(key: string, value: unknown): this {
    return this.condition(key, '$ne', value);
  }

  lessThan(key: string, value: unknown): this {
    return this.condition(key, '$lt', value);
  }

  lessThanOrEqualTo(key: string, value: unknown): this {
    return this.condition(key, '$lte', value);
  }

  greaterThan(key: string, value: unknown): this {
    return this.condition(key, '$gt', value);
  }

  greaterThanOrEqualTo(key: string, value: unknown): this {
    return this.condition(key, '$gte', value);
  }

  containedIn(key: string, values: unknown[]): this {
    return this.condition(key, '$in', values);
  }

  notContainedIn(key: string, values: unknown[]): this {
    return this.condition(key, '$nin', values);
  }

  containsAll(key: string, values: unknown[]): this {
    return this.condition(key, '$all', values);
  }

  exists(key: string): this {
    return this.condition(key, '$exists', true);
  }

  doesNotExist(key: string): this {
    return this.condition(key, '$exists', false);
  }

  /** A regular expression, as a RegExp or a pattern string with Parse's modifiers (`i`, `m`, `x`, `s`). */
  matches(key: string, pattern: RegExp | string, modifiers?: string): this {
    const source = typeof pattern === 'string' ? pattern : pattern.source;
    const flags = modifiers ?? (typeof pattern === 'string' ? '' : pattern.flags.replace(/[gyud]/g, ''));
    this.condition(key, '$regex', source);
    if (flags) this.condition(key, '$options', flags);
    return this;
  }

  startsWith(key: string, prefix: string): this {
    return this.condition(key, '$regex', `^${escapeRegex(prefix)}`);
  }

  contains(key: string, text: string): this {
    return this.condition(key, '$regex', escapeRegex(text));
  }

  limit(n: number): this {
    this.options.limit = n;
    return this;
  }

  skip(n: number): this {
    this.options.skip = n;
    return this;
  }

  ascending(...keys: string[]): this {
    this.options.order = [...keys];
    return this;
  }

  descending(...keys: string[]): this {
    this.options.order = keys.map((k) => `-${k}`);
    return this;
  }

  addAscending(...keys: string[]): this {
    this.options.order = [...(this.options.order ?? []), ...keys];
    return this;
  }

  addDescending(...keys: string[]): this {
    this.options.order = [...(this.options.order ?? []), ...keys.map((k) => `-${k}`)];
    return this;
  }

  include(...keys: string[]): this {
    this.options.include = [...(this.options.include ?? []), ...keys.flat()];
    return this;
  }

  select(...keys: string[]): this {
    this.options.keys = [...(this.options.keys ?? []), ...keys.flat()];
    return this;
  }

  exclude(...keys: string[]): this {
    this.options.excludeKeys = [...(this.options.excludeKeys ?? []), ...keys.flat()];
    return this;
  }

  /** The query in REST form: `{ where, limit, skip, order, keys, excludeKeys, include }`. */
  toJSON(): Json & { where: Json } & QueryOptions {
    return { where: this.where, ...this.options };
  }
}
