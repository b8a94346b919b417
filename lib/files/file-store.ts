/**
 * The file storage contract. Implementations MUST stream (never hold a whole file in memory), MUST
 * leave nothing behind when an upload fails or exceeds its limit, and SHOULD keep parse-server's
 * layout so a migrated database keeps its files.
 */
import type { Readable } from 'node:stream';

/** A stored file's description. */
export interface StoredFile {
  name: string;
  length: number;
  uploadDate: Date;
  /** User metadata given at upload (`Parse.File` metadata). */
  metadata: Record<string, unknown>;
  /** A validator for caching: changes whenever the content can have changed. */
  etag: string;
}

export interface FileStore {
  /**
   * Stores `source` under `name`. Rejects with FILE_TOO_LARGE (129) when it exceeds `maxBytes`,
   * after removing what was written.
   */
  create(
    name: string,
    source: Readable | Buffer,
    options: { metadata: Record<string, unknown>; maxBytes: number },
  ): Promise<StoredFile>;
  stat(name: string): Promise<StoredFile | null>;
  /** Streams the file's bytes `[start, end)` (the whole file by default). */
  openRead(file: StoredFile, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes every version of `name`; false when there was none. */
  delete(name: string): Promise<boolean>;
}
