/** Messages between a benchmark (parent) and its server processes (children), over Node's IPC channel. */

export type ParentMessage =
  { type: 'memory' } | { type: 'cpu' } | { type: 'peakRss' } | { type: 'commands' } | { type: 'stop' };

/** The subset of `process.memoryUsage()` the benches read. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export type ChildMessage =
  /** Listening on `port`; `info` carries what the child measured while starting. */
  | { type: 'ready'; port: number; info?: Record<string, number> }
  | { type: 'memory'; sample: MemorySample }
  /** `process.cpuUsage()` of the server process, user + system, in microseconds. */
  | { type: 'cpu'; micros: number }
  /** `process.resourceUsage().maxRSS`, in bytes. */
  | { type: 'peakRss'; bytes: number }
  /** Database commands sent since the last report, by command name. */
  | { type: 'commands'; counts: Record<string, number> }
  | { type: 'error'; message: string };

const PARENT_TYPES = new Set(['memory', 'cpu', 'peakRss', 'commands', 'stop']);

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isParentMessage(value: unknown): value is ParentMessage {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' && PARENT_TYPES.has(type);
}

/** `process.cpuUsage()`, user + system, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
