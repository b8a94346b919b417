/**
 * parse-server's files adapter contract (`filesAdapter`), and the adapter seen as a {@link FileStore}
 * so that uploads, downloads, hooks and signed URLs work the same on every store. An adapter that
 * does not take streams gets the upload buffered (it is held to `maxUploadSize`), as parse-server does.
 */
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { FileStore, NewFile, StoredFile } from './file-store.js';
import { readWhole } from './size-limit.js';

/** What `getFileLocation` gets as parse-server's `config`: the fields adapters read. */
export interface FileLocationConfig {
  /** Where the backend is reached: `publicServerURL`, else `serverURL`, else the mount path. */
  mount: string;
  applicationId: string;
  serverURL?: string;
  publicServerURL?: string;
}

/** A files adapter as parse-server takes it (`@parse/fs-files-adapter`, `@parse/s3-files-adapter`, ...). */
export interface FilesAdapter {
  /** Stores the file; `data` is a stream only when `supportsStreaming` is true. */
  createFile(
    filename: string,
    data: Buffer | Readable,
    contentType: string | undefined,
    options: { metadata?: Record<string, unknown>; tags?: Record<string, unknown> },
  ): Promise<unknown>;
  deleteFile(filename: string): Promise<unknown>;
  /** The whole file; rejects when there is none. */
  getFileData(filename: string): Promise<Buffer | Uint8Array | string>;
  /** The URL clients get for the file. */
  getFileLocation(config: FileLocationConfig, filename: string): string | Promise<string>;
  /** Replaces the built-in name rule: an error (or its message), or null when the name is fine. */
  validateFilename?(filename: string): unknown;
  /** Answers a ranged download on the Express request and response it is handed. */
  handleFileStream?(filename: string, req: unknown, res: unknown, contentType?: string): Promise<unknown>;
  /** `{ metadata }` of a stored file, or `{}`. */
  getMetadata?(filename: string): Promise<unknown>;
  /** True when `createFile` takes a stream. */
  readonly supportsStreaming?: boolean;
}

/** The methods every files adapter must have. */
export const FILES_ADAPTER_METHODS = ['createFile', 'deleteFile', 'getFileData', 'getFileLocation'] as const;

interface Logger {
  error(message: string, details?: Record<string, unknown>): void;
}

/** A name error as the adapter gave it, as a 122 unless it carries its own code. */
function nameError(result: unknown): BackendError | null {
  if (result === null || result === undefined || result === false) return null;
  if (typeof result === 'string') return new BackendError(ErrorCode.INVALID_FILE_NAME, result);
  const { code, message } = result as { code?: unknown; message?: unknown };
  return new BackendError(
    typeof code === 'number' ? code : ErrorCode.INVALID_FILE_NAME,
    typeof message === 'string' ? message : 'Invalid file name.',
  );
}

/** A parse-server files adapter behind the backend's file contract. */
export class AdapterFileStore implements FileStore {
  readonly streamRange?: FileStore['streamRange'];
  readonly validateName?: FileStore['validateName'];

  constructor(
    private readonly adapter: FilesAdapter,
    private readonly locationConfig: () => FileLocationConfig,
    private readonly logger: Logger,
  ) {
    if (typeof adapter.handleFileStream === 'function') {
      const stream = adapter.handleFileStream.bind(adapter);
      this.streamRange = (name, request, response, contentType) => stream(name, request, response, contentType);
    }
    if (typeof adapter.validateFilename === 'function') {
      const validate = adapter.validateFilename.bind(adapter);
      this.validateName = (name) => {
        const error = nameError(validate(name));
        if (error) throw error;
      };
    }
  }

  async create(name: string, source: Readable | Buffer, options: NewFile): Promise<StoredFile> {
    const extras = { metadata: options.metadata, tags: options.tags ?? {} };
    const streams = this.adapter.supportsStreaming === true && !Buffer.isBuffer(source);
    let length = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        length += chunk.length;
        done(null, chunk);
      },
    });
    if (streams) pipeline(source, counted, () => undefined);
    const data = streams ? counted : await readWhole(source);
    if (Buffer.isBuffer(data)) length = data.length;
    try {
      await this.adapter.createFile(name, data, options.contentType, extras);
    } catch (err) {
      // An upload cut at the size limit may have left part of a file behind.
      await Promise.resolve()
        .then(() => this.adapter.deleteFile(name))
        .catch(() => undefined);
      if (err instanceof BackendError) throw err;
      this.logger.error('filesAdapter.createFile failed', { file: name, error: String(err) });
      throw new BackendError(ErrorCode.FILE_SAVE_ERROR, `Could not store file: ${name}.`);
    }
    return { name, length, uploadDate: new Date(), metadata: options.metadata, etag: '' };
  }

  /** The adapter reads files whole: the bytes come with the description. */
  async stat(name: string): Promise<StoredFile | null> {
    let raw: Buffer | Uint8Array | string;
    try {
      raw = await this.adapter.getFileData(name);
    } catch {
      return null;
    }
    if (raw === null || raw === undefined) return null;
    const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const digest = createHash('sha1').update(data).digest('hex').slice(0, 20);
    return { name, length: data.length, uploadDate: new Date(0), metadata: {}, etag: `"${digest}"`, data };
  }

  async metadataOf(name: string): Promise<Record<string, unknown> | null> {
    if (typeof this.adapter.getMetadata !== 'function') return null;
    const found = (await this.adapter.getMetadata(name).catch(() => null)) as { metadata?: unknown } | null;
    const metadata = found?.metadata;
    return metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)
      ? (metadata as Record<string, unknown>)
      : null;
  }

  async openRead(file: StoredFile, range?: { start: number; end: number }): Promise<Readable> {
    const data = file.data ?? (await this.stat(file.name))?.data;
    if (!data) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'File not found.');
    return Readable.from([range ? data.subarray(range.start, range.end) : data]);
  }

  async delete(name: string): Promise<boolean> {
    try {
      await this.adapter.deleteFile(name);
      return true;
    } catch {
      return false;
    }
  }

  location(name: string): string | Promise<string> {
    return this.adapter.getFileLocation(this.locationConfig(), name);
  }
}
