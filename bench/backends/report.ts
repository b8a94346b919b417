/**
 * The backends bench's results: JSON with every round, and a markdown report with the medians,
 * the ratios Plinth/parse-server and Plinth/baseline, and the targets checked.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineInfo } from '../shared/machine.js';
import type { LoadResult } from './load.js';
import type { LiveQueryResult } from './livequery-load.js';

export interface Measurement extends LoadResult {
  cpuMicrosPerRequest: number;
}

export interface TargetResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  /** Database commands per request (driver command monitoring), warm caches. */
  roundTrips: number;
  commands: Record<string, number>;
  rounds: Measurement[];
}

export interface ScenarioReport {
  name: string;
  description: string;
  results: Record<string, TargetResult>;
}

export interface TargetSummary {
  /** From constructing the backend to its first answered request, database connection excluded. */
  startupMs: number;
  peakRssBytes: number;
}

export interface BackendsReport {
  machine: MachineInfo;
  settings: { secondsPerMeasurement: number; rounds: number; connections: number };
  scenarios: ScenarioReport[];
  /** The `livequery` scenario, per target that has LiveQuery (the baseline has none). */
  liveQuery?: Record<string, LiveQueryResult>;
  targets: Record<string, TargetSummary>;
  durationSeconds: number;
}

const THROUGHPUT_TARGETS = new Set(['create', 'get', 'query', 'update', 'batch', 'hook-create']);
const CPU_TARGETS = new Set(['get', 'create']);
const ONE_TRIP_TARGETS = new Set(['get', 'create', 'update', 'session-get']);

function round(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

function mark(pass: boolean): string {
  return pass ? 'met' : '**missed**';
}

/** The targets, each with the measured value and whether it was met. */
function targetChecks(report: BackendsReport): string[] {
  const lines: string[] = [];
  for (const scenario of report.scenarios) {
    const plinth = scenario.results.plinth!;
    const parse = scenario.results['parse-server']!;
    const baseline = scenario.results.baseline!;
    if (THROUGHPUT_TARGETS.has(scenario.name)) {
      const pass = plinth.requestsPerSecond >= 2 * parse.requestsPerSecond && plinth.p99Ms < parse.p99Ms;
      lines.push(
        `- ${scenario.name}: throughput ${ratio(plinth.requestsPerSecond, parse.requestsPerSecond)} parse-server's (target ≥ 2×), p99 ${round(plinth.p99Ms)} vs ${round(parse.p99Ms)} ms — ${mark(pass)}`,
      );
    }
    if (CPU_TARGETS.has(scenario.name)) {
      const pass = plinth.cpuMicrosPerRequest <= 1.5 * baseline.cpuMicrosPerRequest;
      lines.push(
        `- ${scenario.name}: CPU per request ${ratio(plinth.cpuMicrosPerRequest, baseline.cpuMicrosPerRequest)} the baseline's (target ≤ 1.5×) — ${mark(pass)}`,
      );
    }
    if (ONE_TRIP_TARGETS.has(scenario.name)) {
      lines.push(
        `- ${scenario.name}: ${round(plinth.roundTrips, 2)} database round trips per request (target 1) — ${mark(plinth.roundTrips <= 1)}`,
      );
    }
  }
  const plinth = report.targets.plinth!;
  const parse = report.targets['parse-server']!;
  lines.push(
    `- peak RSS: ${round(plinth.peakRssBytes / 2 ** 20)} MiB vs parse-server's ${round(parse.peakRssBytes / 2 ** 20)} MiB — ${mark(plinth.peakRssBytes < parse.peakRssBytes)}`,
  );
  lines.push(
    `- startup to the first answered request: ${round(plinth.startupMs, 1)} ms (target < 100 ms) — ${mark(plinth.startupMs < 100)}`,
  );
  return lines;
}

export function markdownReport(report: BackendsReport): string {
  const header =
    '| scenario | Plinth req/s | parse-server req/s | baseline req/s | Plinth / parse-server | Plinth / baseline | p50 ms (P / ps / b) | p99 ms (P / ps / b) | CPU µs/req (P / ps / b) | DB round trips (P / ps / b) |';
  const rows = report.scenarios.map((s) => {
    const [p, ps, b] = [s.results.plinth!, s.results['parse-server']!, s.results.baseline!];
    const triple = (f: (r: TargetResult) => number, digits = 0): string =>
      `${round(f(p), digits)} / ${round(f(ps), digits)} / ${round(f(b), digits)}`;
    return `| ${s.name} | ${round(p.requestsPerSecond)} | ${round(ps.requestsPerSecond)} | ${round(b.requestsPerSecond)} | ${ratio(p.requestsPerSecond, ps.requestsPerSecond)} | ${ratio(p.requestsPerSecond, b.requestsPerSecond)} | ${triple((r) => r.p50Ms)} | ${triple((r) => r.p99Ms)} | ${triple((r) => r.cpuMicrosPerRequest)} | ${triple((r) => r.roundTrips, 2)} |`;
  });
  const targets = Object.entries(report.targets).map(
    ([kind, t]) => `| ${kind} | ${round(t.startupMs, 1)} | ${round(t.peakRssBytes / 2 ** 20)} |`,
  );
  const m = report.machine;
  return [
    `# Backends benchmark (${m.date.slice(0, 10)})`,
    '',
    `${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB, Node ${m.node}, ${m.os}; MongoDB driver ${m.mongodbDriver}; ${m.pinning}.`,
    `${report.settings.connections} requests in flight, ${report.settings.rounds} interleaved rounds of ${report.settings.secondsPerMeasurement} s per target and scenario, medians. Load average ${m.loadAverage.start} at the start, ${m.loadAverage.end} at the end. Took ${report.durationSeconds} s.`,
    '',
    header,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...liveQueryLines(report),
    '| target | startup to first answer (ms) | peak RSS (MiB) |',
    '|---|---|---|',
    ...targets,
    '',
    '## Targets',
    '',
    ...targetChecks(report),
    '',
  ].join('\n');
}

function liveQueryLines(report: BackendsReport): string[] {
  const live = report.liveQuery;
  if (!live?.plinth || !live['parse-server']) return [];
  const [p, ps] = [live.plinth, live['parse-server']];
  const row = (kind: string, r: LiveQueryResult): string =>
    `| ${kind} | ${r.subscribers} | ${r.writes} | ${r.delivered} of ${r.expected} | ${round(r.eventsPerSecond)} | ${round(r.p50Ms, 1)} | ${round(r.p99Ms, 1)} | ${round(r.cpuMicrosPerEvent, 1)} | ${round(r.bytesPerSubscriber)} |`;
  return [
    `LiveQuery (\`livequery\`): ${p.subscribers} subscribers on 10 rooms, creates through each target's REST API; events delivered ${ratio(p.eventsPerSecond, ps.eventsPerSecond)} parse-server's per second, at ${ratio(ps.cpuMicrosPerEvent, p.cpuMicrosPerEvent)} less server CPU per event.`,
    '',
    '| target | subscribers | writes | events delivered | events/s | p50 ms (ack → event) | p99 ms | CPU µs per event | heap bytes per subscriber |',
    '|---|---|---|---|---|---|---|---|---|',
    row('plinth', p),
    row('parse-server', ps),
    '',
  ];
}

/** Writes both result files, each through a temporary file so a crash never leaves half a file. */
export async function writeReport(directory: string, report: BackendsReport): Promise<void> {
  await mkdir(directory, { recursive: true });
  for (const [name, content] of [
    ['backends.json', `${JSON.stringify(report, null, 2)}\n`],
    ['backends.md', markdownReport(report)],
  ] as const) {
    const path = join(directory, name);
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
  }
}
