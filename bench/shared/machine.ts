/** What the benchmarks share about where they run: the machine, the results folder, progress lines. */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the benches write their results (bench/results in the repository). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

/** A progress line, on stderr (stdout carries the results). */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The installed mongodb driver's version. */
export async function driverVersion(): Promise<string> {
  // mongodb's package.json is not in its "exports", so it is read from disk rather than imported.
  const manifest = JSON.parse(await readFile(`${REPO_ROOT}node_modules/mongodb/package.json`, 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  os: string;
  totalMemoryGiB: number;
  mongodbDriver: string;
  pinning: string;
  date: string;
  /** 1-minute load average when the run started and ended: above ~0.5 per core, other work shared the CPUs. */
  loadAverage: { start: number; end: number };
}

/** The 1-minute load average, rounded. */
export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineInfo(driverVersion: string, pinning: string, loadAtStart: number): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    node: process.version,
    os: `${type()} ${release()}`,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    mongodbDriver: driverVersion,
    pinning,
    date: new Date().toISOString(),
    loadAverage: { start: loadAtStart, end: currentLoad() },
  };
}
