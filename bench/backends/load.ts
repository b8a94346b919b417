/** Drives a target with autocannon (from this, the load process) and reads what it measured. */
import { requireTool } from '../../test/support/tools.js';
import type { BenchRequest, Scenario, TargetSession } from './scenarios.js';

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

const autocannon = requireTool<Autocannon>('autocannon');

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** Runs one scenario against a target for `seconds`, `connections` requests in flight. */
export async function drive(
  port: number,
  scenario: Scenario,
  session: TargetSession,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  let n = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  // Fresh headers each time: autocannon writes Content-Length into the headers object it is given.
  const next = (): BenchRequest => {
    const request = scenario.request(n++, session);
    return { ...request, headers: { ...request.headers } };
  };
  const first = next();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{ ...first, setupRequest: () => next() }],
  });
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

/** Sends one request and returns its status and JSON body. */
export async function send(port: number, request: BenchRequest): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    // Not JSON: the check reports it.
  }
  return { status: res.status, body };
}
