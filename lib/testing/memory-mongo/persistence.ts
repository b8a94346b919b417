/**
 * Saving and loading the whole store to one file, so a demo keeps its data across restarts.
 * The file is a sequence of BSON documents: a header, then for each collection a description
 * followed by its documents. It is written to a temporary file and renamed, so a crash while
 * saving leaves the previous file intact.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deserialize } from 'bson';
import type { IndexSpec } from './engine/collection-index.js';
import type { Store } from './engine/store.js';
import { documentFromWire, toWire, type Doc } from './engine/values.js';
import { encodeDocument } from './wire/wire-protocol.js';

const FORMAT = 'plinth-memory-mongo';
const VERSION = 1;

/** Writes every database of the store to `path`. */
export async function saveStore(store: Store, path: string): Promise<void> {
  const chunks: Buffer[] = [encodeDocument({ format: FORMAT, version: VERSION })];
  for (const database of store.databases.values()) {
    for (const collection of database.values()) {
      const indexes = collection.indexSpecs().filter((s) => s.name !== '_id_');
      chunks.push(
        encodeDocument({
          kind: 'collection',
          db: collection.db,
          name: collection.name,
          options: collection.options,
          indexes,
        }),
      );
      for (const doc of collection.allDocuments()) chunks.push(encodeDocument({ kind: 'document', d: toWire(doc) }));
    }
  }
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, Buffer.concat(chunks));
  await rename(temporary, path);
}

/** Loads a file written by {@link saveStore}; a missing file leaves the store empty. */
export async function loadStore(store: Store, path: string): Promise<void> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let offset = 0;
  const next = (): Doc => {
    const size = data.readInt32LE(offset);
    const doc = deserialize(data.subarray(offset, offset + size), { promoteValues: false, bsonRegExp: true }) as Doc;
    offset += size;
    return doc;
  };
  const header = next();
  if (header.format !== FORMAT) throw new Error(`${path} is not an in-memory MongoDB data file`);
  let current: ReturnType<Store['createCollection']> | null = null;
  while (offset < data.length) {
    const record = next();
    if (record.kind === 'collection') {
      const db = String(record.db);
      const name = String(record.name);
      current = store.collection(db, name) ?? store.createCollection(db, name, (record.options ?? {}) as Doc);
      for (const spec of (record.indexes ?? []) as IndexSpec[])
        current.createIndex(documentFromWire(spec) as IndexSpec);
    } else if (record.kind === 'document' && current) {
      current.insert(documentFromWire(record.d as Doc));
    }
  }
}
