/** What a benchmark records about the machine it ran on. */
import { cpus, loadavg, release, totalmem, type } from 'node:os';

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
