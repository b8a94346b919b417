/**
 * The measured scenarios: each builds its n-th request (so runs are repeatable) and checks a
 * response, which the bench does on a few requests per target before measuring anything.
 */
import { APP_ID, ITEM_COUNT, itemId, PASSWORD, USERNAME } from './workload.js';

type Json = Record<string, unknown>;

export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a scenario needs from the target's setup. */
export interface TargetSession {
  sessionToken: string;
}

export interface Scenario {
  name: string;
  /** What is measured, for the report. */
  description: string;
  request(n: number, session: TargetSession): BenchRequest;
  /** A problem with the response, or null when it is what the scenario expects. */
  check(status: number, body: unknown, n: number): string | null;
}

const JSON_HEADERS = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json' };

/** A spread of items over the seeded range, the same sequence every run. */
function pick(n: number): number {
  return (n * 7919 + 13) % ITEM_COUNT;
}

function expectStatus(status: number, wanted: number, body: unknown): string | null {
  return status === wanted ? null : `status ${status} (wanted ${wanted}): ${JSON.stringify(body).slice(0, 200)}`;
}

function results(body: unknown): Json[] {
  const list = (body as { results?: unknown } | null)?.results;
  return Array.isArray(list) ? (list as Json[]) : [];
}

/** `where n < bound`, newest first, 20 results: the bound is at least 20 so every page is full. */
function rangeQuery(n: number, include: boolean): string {
  const bound = 20 + (pick(n) % (ITEM_COUNT - 20));
  const params = new URLSearchParams({ where: JSON.stringify({ n: { $lt: bound } }), order: '-n', limit: '20' });
  if (include) params.set('include', 'owner');
  return `/parse/classes/BenchItem?${params.toString()}`;
}

function checkRange(status: number, body: unknown, n: number, include: boolean): string | null {
  const problem = expectStatus(status, 200, body);
  if (problem) return problem;
  const list = results(body);
  const bound = 20 + (pick(n) % (ITEM_COUNT - 20));
  if (list.length !== 20 || list[0]?.n !== bound - 1 || list[19]?.n !== bound - 20)
    return `wrong page: ${JSON.stringify(list.map((r) => r.n))}`;
  if (include && typeof (list[0]?.owner as Json | undefined)?.name !== 'string')
    return `owner not included: ${JSON.stringify(list[0]?.owner)}`;
  return null;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'create',
    description: 'POST /classes/CreatedItem with two fields',
    request: (n) => ({
      method: 'POST',
      path: '/parse/classes/CreatedItem',
      headers: JSON_HEADERS,
      body: JSON.stringify({ n, name: `created ${n}` }),
    }),
    check: (status, body) =>
      expectStatus(status, 201, body) ?? (typeof (body as Json).objectId === 'string' ? null : 'no objectId'),
  },
  {
    name: 'get',
    description: 'GET /classes/BenchItem/:id',
    request: (n) => ({ method: 'GET', path: `/parse/classes/BenchItem/${itemId(pick(n))}`, headers: JSON_HEADERS }),
    check: (status, body, n) =>
      expectStatus(status, 200, body) ??
      ((body as Json).objectId === itemId(pick(n)) && (body as Json).n === pick(n) ? null : 'wrong object'),
  },
  {
    name: 'query',
    description: 'where n < x, order -n, limit 20, over 10,000 objects',
    request: (n) => ({ method: 'GET', path: rangeQuery(n, false), headers: JSON_HEADERS }),
    check: (status, body, n) => checkRange(status, body, n, false),
  },
  {
    name: 'update',
    description: 'PUT /classes/BenchItem/:id with one field',
    request: (n) => ({
      method: 'PUT',
      path: `/parse/classes/BenchItem/${itemId(pick(n))}`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ score: n }),
    }),
    check: (status, body) =>
      expectStatus(status, 200, body) ?? (typeof (body as Json).updatedAt === 'string' ? null : 'no updatedAt'),
  },
  {
    name: 'login',
    description: 'POST /login (bcrypt, new session)',
    request: () => ({
      method: 'POST',
      path: '/parse/login',
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    }),
    check: (status, body) =>
      expectStatus(status, 200, body) ?? (typeof (body as Json).sessionToken === 'string' ? null : 'no sessionToken'),
  },
  {
    name: 'batch',
    description: 'POST /batch of 50 creates',
    request: (n) => ({
      method: 'POST',
      path: '/parse/batch',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        requests: Array.from({ length: 50 }, (_, i) => ({
          method: 'POST',
          path: '/parse/classes/BatchItem',
          body: { n: n * 50 + i },
        })),
      }),
    }),
    check: (status, body) => {
      const problem = expectStatus(status, 200, body);
      if (problem) return problem;
      const items = Array.isArray(body) ? (body as Json[]) : [];
      return items.length === 50 &&
        items.every((item) => typeof (item.success as Json | undefined)?.objectId === 'string')
        ? null
        : `not 50 successes: ${JSON.stringify(body).slice(0, 200)}`;
    },
  },
  {
    name: 'hook-create',
    description: 'POST /classes/HookedItem with a trivial beforeSave',
    request: (n) => ({
      method: 'POST',
      path: '/parse/classes/HookedItem',
      headers: JSON_HEADERS,
      body: JSON.stringify({ title: `t${n}` }),
    }),
    check: (status, body) =>
      expectStatus(status, 201, body) ?? ((body as Json).checked === true ? null : 'the hook did not run'),
  },
  {
    name: 'include',
    description: 'the query, with include of a pointer',
    request: (n) => ({ method: 'GET', path: rangeQuery(n, true), headers: JSON_HEADERS }),
    check: (status, body, n) => checkRange(status, body, n, true),
  },
  {
    name: 'session-get',
    description: 'GET /classes/BenchItem/:id with a session token',
    request: (n, session) => ({
      method: 'GET',
      path: `/parse/classes/BenchItem/${itemId(pick(n))}`,
      headers: { ...JSON_HEADERS, 'X-Parse-Session-Token': session.sessionToken },
    }),
    check: (status, body, n) =>
      expectStatus(status, 200, body) ?? ((body as Json).objectId === itemId(pick(n)) ? null : 'wrong object'),
  },
];
