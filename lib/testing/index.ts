/**
 * `plinth/testing`: what host apps need to test against Plinth — a MongoDB that runs in-process.
 * @packageDocumentation
 */
export { startMemoryMongo } from './start-memory-mongo.js';
export type { MemoryMongo, MemoryMongoEngine, StartMemoryMongoOptions } from './start-memory-mongo.js';
export { MemoryMongoServer } from './memory-mongo/server.js';
export type { MemoryMongoServerOptions } from './memory-mongo/server.js';
export { MemoryMongoWorker } from './memory-mongo/memory-mongo-worker.js';
export type { WorkerMemory } from './memory-mongo/worker-messages.js';
