/**
 * Files in GridFS, in parse-server's layout: the default `fs` bucket, keyed by file name, user
 * metadata in the file document's `metadata`. Uploads and downloads are streamed.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db, type GridFSFile } from 'mongodb';
import { BackendError } from '../../errors/backend-error.js';
import { ErrorCode } from '../../errors/error-codes.js';
import type { FileStore, NewFile, StoredFile } from '../../files/file-store.js';

function describe(file: GridFSFile): StoredFile {
  return {
    name: file.filename,
    length: file.length,
    uploadDate: file.uploadDate,
    metadata: (file.metadata ?? {}) as Record<string, unknown>,
    etag: `"${file._id.toHexString()}-${file.length}"`,
  };
}

export class GridFsFileStore implements FileStore {
  constructor(
    private readonly database: () => Promise<Db>,
    private readonly mapError: (err: unknown) => unknown,
  ) {}

  private async bucket(): Promise<GridFSBucket> {
    return new GridFSBucket(await this.database());
  }

  private async latest(bucket: GridFSBucket, name: string): Promise<GridFSFile | null> {
    const [file] = await bucket.find({ filename: name }, { sort: { uploadDate: -1 }, limit: 1 }).toArray();
    return file ?? null;
  }

  async create(name: string, source: Readable | Buffer, options: NewFile): Promise<StoredFile> {
    const bucket = await this.bucket();
    const upload = bucket.openUploadStream(name, { metadata: options.metadata });
    try {
      const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
      await pipeline(input, upload);
    } catch (err) {
      // Remove the chunks already written (there is no file document yet), then report the cause.
      const db = await this.database();
      await db
        .collection('fs.chunks')
        .deleteMany({ files_id: upload.id })
        .catch(() => undefined);
      await db
        .collection('fs.files')
        .deleteOne({ _id: upload.id })
        .catch(() => undefined);
      throw this.mapError(err);
    }
    const file = await bucket.find({ _id: upload.id }).next();
    if (!file) throw new BackendError(ErrorCode.FILE_SAVE_ERROR, 'Could not store the file.');
    return describe(file);
  }

  async stat(name: string): Promise<StoredFile | null> {
    try {
      const file = await this.latest(await this.bucket(), name);
      return file ? describe(file) : null;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async metadataOf(name: string): Promise<Record<string, unknown> | null> {
    return (await this.stat(name))?.metadata ?? null;
  }

  async openRead(file: StoredFile, range?: { start: number; end: number }): Promise<Readable> {
    const bucket = await this.bucket();
    const found = await this.latest(bucket, file.name);
    if (!found) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'File not found.');
    return bucket.openDownloadStream(found._id, range ? { start: range.start, end: range.end } : {});
  }

  async delete(name: string): Promise<boolean> {
    try {
      const bucket = await this.bucket();
      const files = await bucket.find({ filename: name }).toArray();
      await Promise.all(files.map((f) => bucket.delete(f._id)));
      return files.length > 0;
    } catch (err) {
      throw this.mapError(err);
    }
  }
}
