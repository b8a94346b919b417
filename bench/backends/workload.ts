/**
 * The shared workload: the app identity, the classes and seeded objects every target serves, in
 * Parse's MongoDB layout (so parse-server, Plinth and the baseline read the same documents).
 */
export const APP_ID = 'bench';
export const MASTER_KEY = 'bench-master-key';
export const USERNAME = 'bench-user';
export const PASSWORD = 'bench-password';

/** Objects the query scenarios run over. */
export const ITEM_COUNT = 10_000;
export const OWNER_COUNT = 100;

/** Deterministic objectIds, so the load generator can build paths without asking the server. */
export function itemId(i: number): string {
  return `i${String(i % ITEM_COUNT).padStart(9, '0')}`;
}

export function ownerId(i: number): string {
  return `o${String(i % OWNER_COUNT).padStart(9, '0')}`;
}

/** Open class-level permissions, as parse-server writes them for a new class. */
const OPEN = {
  find: { '*': true },
  count: { '*': true },
  get: { '*': true },
  create: { '*': true },
  update: { '*': true },
  delete: { '*': true },
  addField: { '*': true },
  protectedFields: { '*': [] },
};

/** `_SCHEMA` documents of the benchmark's classes. */
export const SCHEMAS = [
  { _id: 'BenchOwner', name: 'string' },
  { _id: 'BenchItem', n: 'number', name: 'string', score: 'number', owner: '*BenchOwner' },
  { _id: 'CreatedItem', n: 'number', name: 'string' },
  { _id: 'BatchItem', n: 'number' },
  { _id: 'HookedItem', title: 'string', checked: 'boolean' },
].map((schema) => ({
  objectId: 'string',
  createdAt: 'date',
  updatedAt: 'date',
  ...schema,
  _metadata: { class_permissions: OPEN },
}));

/** The class LiveQuery's scenario writes and watches. */
export const LIVE_CLASS = 'LiveItem';
