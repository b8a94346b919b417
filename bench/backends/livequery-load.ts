/**
 * The `livequery` scenario: subscribers over WebSocket connections, each subscribed to one of a few
 * rooms, and a stream of creates sent through the target's own REST API (parse-server's LiveQuery
 * sees only the writes of its own process). Measures events delivered per second, the time from a
 * write's acknowledgement to each delivery, and the memory one subscriber costs the server.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import type { MemorySample } from '../shared/ipc.js';
import { APP_ID, LIVE_CLASS, MASTER_KEY } from './workload.js';

export interface LiveQueryOptions {
  connections: number;
  subscriptionsPerConnection: number;
  rooms: number;
  writes: number;
  /** Writes in flight at once. */
  concurrency: number;
}

export interface LiveQueryResult {
  subscribers: number;
  writes: number;
  expected: number;
  delivered: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  bytesPerSubscriber: number;
  /** The target's CPU time per delivered event (the writes' cost included), in microseconds. */
  cpuMicrosPerEvent: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function post(agent: Agent, port: number, body: string): Promise<{ objectId: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/parse/classes/${LIVE_CLASS}`,
        agent,
        // The class is made by the first write: with the master key, on both targets alike.
        headers: {
          'X-Parse-Application-Id': APP_ID,
          'X-Parse-Master-Key': MASTER_KEY,
          'Content-Type': 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 201) reject(new Error(`create answered ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString()) as { objectId: string });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a connection and subscribes it; resolves once every subscription is confirmed. */
async function connectAndSubscribe(
  url: string,
  rooms: number[],
  onCreate: (objectId: string, at: number) => void,
): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let pending = rooms.length;
  let confirmed: () => void = () => undefined;
  const allConfirmed = new Promise<void>((resolve) => (confirmed = resolve));
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { op: string; object?: { objectId: string } };
    if (frame.op === 'create' && frame.object) onCreate(frame.object.objectId, performance.now());
    else if (frame.op === 'subscribed' && --pending === 0) confirmed();
    else if (frame.op === 'connected')
      rooms.forEach((room, i) =>
        socket.send(
          JSON.stringify({ op: 'subscribe', requestId: i + 1, query: { className: LIVE_CLASS, where: { room } } }),
        ),
      );
  });
  socket.send(JSON.stringify({ op: 'connect', applicationId: APP_ID }));
  await allConfirmed;
  return socket;
}

export async function driveLiveQuery(
  port: number,
  probes: { memory(): Promise<MemorySample>; cpuMicros(): Promise<number> },
  options: LiveQueryOptions,
): Promise<LiveQueryResult> {
  const url = `ws://127.0.0.1:${port}/parse`;
  const acked = new Map<string, number>();
  const early = new Map<string, number[]>();
  const latencies: number[] = [];
  let delivered = 0;
  let lastDelivery = 0;
  const onCreate = (objectId: string, at: number): void => {
    delivered += 1;
    lastDelivery = at;
    const ack = acked.get(objectId);
    // An event may arrive before the write's answer: it is counted against the answer when it comes.
    if (ack === undefined) early.set(objectId, [...(early.get(objectId) ?? []), at]);
    else latencies.push(Math.max(0, at - ack));
  };
  const before = await probes.memory();
  const sockets: WebSocket[] = [];
  for (let c = 0; c < options.connections; c++) {
    const rooms = Array.from(
      { length: options.subscriptionsPerConnection },
      (_, i) => (c * options.subscriptionsPerConnection + i) % options.rooms,
    );
    sockets.push(await connectAndSubscribe(url, rooms, onCreate));
  }
  const subscribers = options.connections * options.subscriptionsPerConnection;
  const after = await probes.memory();
  const perRoom = subscribers / options.rooms;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const cpuStart = await probes.cpuMicros();
  const started = performance.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < options.writes) {
      const n = next++;
      const { objectId } = await post(agent, port, JSON.stringify({ room: n % options.rooms, n }));
      const at = performance.now();
      acked.set(objectId, at);
      for (const seen of early.get(objectId) ?? []) latencies.push(Math.max(0, seen - at));
      early.delete(objectId);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, writer));
  const expected = options.writes * perRoom;
  const deadline = performance.now() + 10_000;
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const cpu = (await probes.cpuMicros()) - cpuStart;
  for (const socket of sockets) socket.terminate();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = (Math.max(lastDelivery, started) - started) / 1000;
  return {
    subscribers,
    writes: options.writes,
    expected,
    delivered,
    eventsPerSecond: seconds > 0 ? delivered / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMicrosPerEvent: delivered > 0 ? cpu / delivered : NaN,
    bytesPerSubscriber: Math.max(
      0,
      (after.heapUsed + after.external - before.heapUsed - before.external) / subscribers,
    ),
  };
}
