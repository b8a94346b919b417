/**
 * The file storage contract the file routes use. The built-in store (GridFS) MUST stream (never
 * hold a whole file in memory), MUST leave nothing behind when an upload fails or exceeds its
 * limit, and keeps parse-server's layout so a migrated database keeps its files. A parse-server
 * files adapter (`filesAdapter`) is seen through this contract too (files-adapter.ts).
 */
import type { Readable } from 'node:stream';

/** A stored file's description. */
export interface StoredFile {
  name: string;
  length: number;
  uploadDate: Date;
  /** User metadata given at upload (`Parse.File` metadata). */
  metadata: Record<string, unknown>;
  /** A validator for caching: changes whenever the content can have changed ('' when unknown). */
  etag: string;
  /** The bytes, when the store could only read the file whole. */
  data?: Buffer;
}

/** What an upload stores besides its bytes. */
export interface NewFile {
  metadata: Record<string, unknown>;
  tags?: Record<string, unknown>;
  /** The type the file is served with. */
  contentType?: string;
}

export interface FileStore {
  /**
   * Stores `source` under `name`. The source is held to `maxUploadSize` by the caller: when it
   * fails (FILE_TOO_LARGE, 129, or a broken upload), the store removes what was written and
   * rejects with that error.
   */
  create(name: string, source: Readable | Buffer, options: NewFile): Promise<StoredFile>;
  stat(name: string): Promise<StoredFile | null>;
  /** The user metadata of a stored file; null when the file (or its metadata) is unknown. */
  metadataOf(name: string): Promise<Record<string, unknown> | null>;
  /** Streams the file's bytes `[start, end)` (the whole file by default). */
  openRead(file: StoredFile, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes every version of `name`; false when there was none. */
  delete(name: string): Promise<boolean>;
  /** The store's own rule for names, replacing the built-in one; throws 122 for a bad name. */
  validateName?(name: string): void;
  /** Where clients fetch `name`, when the store decides (a CDN, a signed bucket URL). */
  location?(name: string): string | Promise<string>;
  /**
   * Answers a ranged download itself, writing to the HTTP request and response it is handed (a
   * parse-server adapter's `handleFileStream`); rejects when the file cannot be read.
   */
  streamRange?(name: string, request: unknown, response: unknown, contentType: string): Promise<unknown>;
}
