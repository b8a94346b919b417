/**
 * `maxUploadSize`, applied in one place for every store: an upload's bytes pass through a limit
 * that fails with FILE_TOO_LARGE (129) once more than the limit has passed.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

export function fileTooLarge(maxBytes: number): BackendError {
  return new BackendError(ErrorCode.FILE_TOO_LARGE, `File size exceeds maximum allowed: ${maxBytes} bytes.`);
}

class SizeLimit extends Transform {
  private seen = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) done(fileTooLarge(this.maxBytes));
    else done(null, chunk);
  }
}

/** `source` held to `maxBytes`: a buffer is checked now, a stream as it flows. */
export function limited(source: Readable | Buffer, maxBytes: number): Readable | Buffer {
  if (Buffer.isBuffer(source)) {
    if (source.length > maxBytes) throw fileTooLarge(maxBytes);
    return source;
  }
  const limit = new SizeLimit(maxBytes);
  // A failed source fails the limited stream too, and a failed limit stops the source.
  pipeline(source, limit, () => undefined);
  return limit;
}

/** All of `source`'s bytes (to be used on a limited source). */
export async function readWhole(source: Readable | Buffer): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
