/**
 * parse-server's `rateLimit` option: each rule counts the requests that match its path (and
 * methods) per zone — the client's address (default), its session, its user, or everyone — in
 * fixed windows of `requestTimeWindow` ms; past `requestCount` a request answers 429 with code 100
 * and the rule's message. Each request of a `/batch` counts as a request of its own, and a
 * `_method` override is matched by both its methods, so neither gets around a rule. Requests with
 * the master key are not counted unless `includeMasterKey`.
 *
 * Counters live in a store: this process's memory by default, or the database
 * (`rateLimitStore: 'database'`), which holds across several processes.
 */
import type { ResolvedRateLimitRule } from '../config/options.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { RateLimitStorage } from '../storage/rate-limit-storage.js';
import type { ApiRequest } from './api-request.js';

/** Where counters live. */
export interface RateLimitStore {
  /** Counts one request of `key` in the window `now` falls in; returns the window's count so far. */
  hit(key: string, windowMs: number, now: number): Promise<number>;
}

/**
 * Counters in this process's memory, at most `maxKeys` of them (the oldest windows go first). A
 * key's window starts at its first request, as parse-server's memory store (express-rate-limit) has it.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly maxKeys = 10_000) {}

  async hit(key: string, windowMs: number, now: number): Promise<number> {
    const start = now;
    const current = this.windows.get(key);
    if (current && now - current.start < windowMs) return ++current.count;
    this.windows.delete(key);
    while (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(key, { start, count: 1 });
    return 1;
  }
}

/**
 * Counters in the database, shared by every process on it. Windows are aligned to the clock (every
 * process must name the same window without asking the others), so a count restarts at each multiple
 * of `requestTimeWindow` since the epoch.
 */
export class DatabaseRateLimitStore implements RateLimitStore {
  constructor(private readonly storage: RateLimitStorage) {}

  hit(key: string, windowMs: number, now: number): Promise<number> {
    const start = now - (now % windowMs);
    return this.storage.countRequest(key, new Date(start), new Date(start + windowMs));
  }
}

/**
 * A rule's `requestPath` as a regular expression: path-to-regexp's syntax as parse-server takes it
 * — `:name` for one segment, `*name` (or a bare `*`) for the rest of the path, `{...}` for an
 * optional part.
 */
export function pathPattern(path: string): RegExp {
  let source = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '*') {
      source += '.*';
      while (i + 1 < path.length && /\w/.test(path[i + 1]!)) i++;
    } else if (c === ':') {
      source += '[^/]+';
      while (i + 1 < path.length && /\w/.test(path[i + 1]!)) i++;
    } else if (c === '{') source += '(?:';
    else if (c === '}') source += ')?';
    else source += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}/?$`);
}

interface Rule extends ResolvedRateLimitRule {
  pattern: RegExp;
  /** `requestMethods` given as a regular expression, compiled once. */
  methodPattern: RegExp | undefined;
}

export class RateLimits {
  private readonly rules: Rule[];

  constructor(
    rules: readonly ResolvedRateLimitRule[],
    private readonly store: RateLimitStore,
    private readonly now: () => number = Date.now,
  ) {
    this.rules = rules.map((rule) => ({
      ...rule,
      pattern: pathPattern(rule.requestPath),
      methodPattern: typeof rule.requestMethods === 'string' ? new RegExp(rule.requestMethods, 'i') : undefined,
    }));
  }

  /** Whether any rule is configured: without one, requests are not looked at. */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /**
   * Counts `req` against every rule it matches; throws 429/100 past one. `sentAs` is the method
   * the request came with, when it differs (a batch's POST, a `_method` override's POST).
   */
  async check(req: ApiRequest, sentAs?: string): Promise<void> {
    for (const [index, rule] of this.rules.entries()) {
      if (!this.applies(rule, req, sentAs)) continue;
      const count = await this.store.hit(`${index}:${zoneKey(rule, req)}`, rule.requestTimeWindow, this.now());
      if (count > rule.requestCount) {
        throw new BackendError(ErrorCode.CONNECTION_FAILED, rule.errorResponseMessage, { status: 429 });
      }
    }
  }

  private applies(rule: Rule, req: ApiRequest, sentAs: string | undefined): boolean {
    if (req.caller.auth.master && !rule.includeMasterKey) return false;
    if (!rule.pattern.test(req.path)) return false;
    if (!rule.requestMethods) return true;
    const methods = sentAs && sentAs !== req.method ? [req.method, sentAs] : [req.method];
    const { methodPattern, requestMethods } = rule;
    if (methodPattern) return methods.some((method) => methodPattern.test(method));
    return methods.some((method) => (requestMethods as readonly string[]).some((m) => m.toUpperCase() === method));
  }
}

function zoneKey(rule: ResolvedRateLimitRule, req: ApiRequest): string {
  const { auth } = req.caller;
  if (rule.zone === 'global') return 'global';
  if (rule.zone === 'session' && auth.sessionToken) return `session:${auth.sessionToken}`;
  if (rule.zone === 'user' && auth.userId) return `user:${auth.userId}`;
  return `ip:${req.caller.ip ?? 'unknown'}`;
}
