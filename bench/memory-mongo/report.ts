/**
 * Results: rows with their targets, rendered as a markdown table (stdout and
 * bench/results/memory-mongo.md) and as JSON (bench/results/memory-mongo.json).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineInfo } from '../shared/machine.js';

/** A target a row is checked against; `atLeast`/`below` are in the row's unit. */
export type Target =
  { kind: 'atLeast'; value: number; label?: string } | { kind: 'below'; value: number; label?: string };

export interface Row {
  id: string;
  metric: string;
  value: number;
  unit: string;
  /** No target: the row is context (e.g. the 10k numbers, the floor itself). */
  target: Target | null;
  note?: string;
}

export interface CheckedRow extends Row {
  pass: boolean | null;
}

export interface BenchReport {
  machine: MachineInfo;
  rows: CheckedRow[];
  /** Raw measurements (latency percentiles, memory samples) behind the rows. */
  details: Record<string, unknown>;
  durationSeconds: number;
}

export function check(row: Row): CheckedRow {
  if (!row.target) return { ...row, pass: null };
  const pass = row.target.kind === 'atLeast' ? row.value >= row.target.value : row.value < row.target.value;
  return { ...row, pass };
}

/** Thousands separators for big numbers, a few significant digits for small ones. */
function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatTarget(target: Target | null, unit: string): string {
  if (!target) return '—';
  const bound = `${target.kind === 'atLeast' ? '≥' : '<'} ${formatNumber(target.value)} ${unit}`;
  return target.label ? `${bound} (${target.label})` : bound;
}

function formatResult(pass: boolean | null): string {
  if (pass === null) return 'info';
  return pass ? 'PASS' : 'FAIL';
}

export function markdownTable(rows: CheckedRow[]): string {
  const lines = ['| Metric | Value | Target | Result | Notes |', '| --- | ---: | --- | --- | --- |'];
  for (const row of rows) {
    lines.push(
      `| ${row.metric} | ${formatNumber(row.value)} ${row.unit} | ${formatTarget(row.target, row.unit)} | ${formatResult(row.pass)} | ${row.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  return [
    '# plinth in-memory MongoDB benchmark',
    '',
    `- Date: ${m.date}`,
    `- CPU: ${m.cpuModel} (${m.cores} cores)`,
    `- Node: ${m.node}, OS: ${m.os}, RAM: ${m.totalMemoryGiB} GiB`,
    `- Driver: mongodb ${m.mongodbDriver}; 10 operations in flight; ${m.pinning}`,
    `- Whole run: ${report.durationSeconds.toFixed(1)} s; 1-minute load average ${m.loadAverage.start} at start, ${m.loadAverage.end} at end`,
    '',
    markdownTable(report.rows),
    '',
    'Reads run for a bounded time after a warm-up and report the median 500 ms window. "ms/query" is that',
    'rate inverted with 10 queries in flight, i.e. what one query costs the server. The floor alternates',
    'with find by _id at 100k in 1 s rounds so both see the same machine load. "CPU/op" is CPU time the',
    'server process used per operation; the CPU-bound capacity row compares 1 / max(server, client) CPU',
    'per operation, which other work on the machine barely moves (wall-clock rates do). Memory is the',
    "server process's heapUsed + external growth after full GCs, divided by the documents stored.",
    '',
  ].join('\n');
}

/** Writes both result files, each through a temporary file so a crash never leaves half a file. */
export async function writeResults(directory: string, report: BenchReport): Promise<void> {
  await mkdir(directory, { recursive: true });
  const files: [string, string][] = [
    ['memory-mongo.json', `${JSON.stringify(report, null, 2)}\n`],
    ['memory-mongo.md', markdownReport(report)],
  ];
  for (const [name, content] of files) {
    const path = join(directory, name);
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
  }
}
