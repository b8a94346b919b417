/** Messages between the bench (parent) and the server process (child), over Node's IPC channel. */

/** Which server the child runs. */
export type ServerKind = 'memory' | 'stub';

export type ParentMessage = { type: 'memory' } | { type: 'cpu' } | { type: 'stop' };

/** The subset of `process.memoryUsage()` the bench reads. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'memory'; sample: MemorySample }
  /** `process.cpuUsage()` of the server process, user + system, in microseconds. */
  | { type: 'cpu'; micros: number }
  | { type: 'error'; message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isParentMessage(value: unknown): value is ParentMessage {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return type === 'memory' || type === 'cpu' || type === 'stop';
}
