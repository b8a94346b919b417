/**
 * Downloads, metadata and deletes, each through the same checks: the signed-URL token when signing
 * is on, and the beforeFind / beforeDelete hooks (parse-server once let the metadata route skip
 * them: GHSA-hwx8-q9cg-mqmc).
 */
import type { Readable } from 'node:stream';
import type { HookFile } from '../cloud/cloud-registry.js';
import { AccessDeniedError, BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import { contentTypeOf, isInlineSafe } from './file-names.js';
import type { StoredFile } from './file-store.js';
import { runFileHook } from './file-hooks.js';

/** What the HTTP layer sends for a download. */
export interface Download {
  status: 200 | 206;
  headers: Record<string, string>;
  body: Readable | Buffer;
}

/**
 * A ranged download the file store answers itself on the HTTP request and response (a files
 * adapter's `handleFileStream`), after the HTTP layer has set `headers`.
 */
export interface HandedOff {
  status: 'handed-off';
  headers: Record<string, string>;
  answer(request: unknown, response: unknown): Promise<unknown>;
}

/** A `Range` header: a byte range, 'unsatisfiable', or null to send the whole file. */
function parseRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return header.trim().startsWith('bytes=') && !header.includes(',') ? 'unsatisfiable' : null;
  const [, from, to] = match;
  if (from === '' && to === '') return 'unsatisfiable';
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(from);
    end = to === '' ? length - 1 : Math.min(Number(to), length - 1);
  }
  if (start >= length || start > end) return 'unsatisfiable';
  return { start, end };
}

/** A stored file as hooks see it before its bytes are read. */
async function storedFile(ctx: OperationContext, name: string): Promise<HookFile> {
  const url = await ctx.services.fileUrls.locate(name);
  return { name, url, contentType: contentTypeOf(name), metadata: {}, tags: {} };
}

async function checkAccess(ctx: OperationContext, name: string, token: unknown): Promise<void> {
  if (!ctx.services.fileUrls.allows(name, token))
    throw new AccessDeniedError('unauthorized: missing, invalid or expired file token');
  const hook = ctx.services.cloud.fileHook('beforeFind');
  if (hook) await runFileHook(ctx, hook, 'beforeFind', await storedFile(ctx, name), null);
}

async function statOrNotFound(ctx: OperationContext, name: string): Promise<StoredFile> {
  const file = await ctx.services.files.stat(name);
  if (!file) throw new BackendError(ErrorCode.OBJECT_NOT_FOUND, 'File not found.');
  return file;
}

/** GET /files/:appId/:name, with Range support. */
export async function downloadFile(
  ctx: OperationContext,
  name: string,
  token: unknown,
  rangeHeader: string | undefined,
  ifNoneMatch: string | undefined,
): Promise<Download | HandedOff | { status: 304 | 416; headers: Record<string, string> }> {
  await checkAccess(ctx, name, token);
  const contentType = contentTypeOf(name);
  const { streamRange } = ctx.services.files;
  // A store that answers ranges itself (an S3 object, a large video) is not read whole for one.
  if (rangeHeader && streamRange && !ctx.services.cloud.fileHook('afterFind'))
    return {
      status: 'handed-off',
      headers: { 'X-Content-Type-Options': 'nosniff' },
      answer: (request, response) => streamRange(name, request, response, contentType),
    };
  const file = await statOrNotFound(ctx, name);
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    ETag: file.etag,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': isInlineSafe(contentType) ? 'inline' : `attachment; filename="${name.replace(/"/g, '')}"`,
  };
  if (ifNoneMatch && ifNoneMatch === file.etag) return { status: 304, headers };
  const afterFind = ctx.services.cloud.fileHook('afterFind');
  if (afterFind) {
    // The hook may replace the bytes, so it gets them whole (files are bounded by maxUploadSize).
    const chunks: Buffer[] = [];
    for await (const chunk of await ctx.services.files.openRead(file)) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    const hookFile: HookFile = {
      name,
      url: await ctx.services.fileUrls.locate(name),
      data,
      contentType,
      metadata: file.metadata,
      tags: {},
    };
    await runFileHook(ctx, afterFind, 'afterFind', hookFile, data.length);
    const served = Buffer.isBuffer(hookFile.data) ? hookFile.data : Buffer.alloc(0);
    return { status: 200, headers: { ...headers, 'Content-Length': String(served.length) }, body: served };
  }
  const range = parseRange(rangeHeader, file.length);
  if (range === 'unsatisfiable') return { status: 416, headers: { 'Content-Range': `bytes */${file.length}` } };
  if (range) {
    const body = await ctx.services.files.openRead(file, { start: range.start, end: range.end + 1 });
    return {
      status: 206,
      headers: {
        ...headers,
        'Content-Length': String(range.end - range.start + 1),
        'Content-Range': `bytes ${range.start}-${range.end}/${file.length}`,
      },
      body,
    };
  }
  return {
    status: 200,
    headers: { ...headers, 'Content-Length': String(file.length) },
    body: await ctx.services.files.openRead(file),
  };
}

/** GET /files/:appId/metadata/:name: `{metadata}`, or `{}` for a missing file, as parse-server. */
export async function fileMetadata(
  ctx: OperationContext,
  name: string,
  token: unknown,
): Promise<Record<string, unknown>> {
  await checkAccess(ctx, name, token);
  const metadata = await ctx.services.files.metadataOf(name);
  return metadata ? { metadata } : {};
}

/** DELETE /files/:name (master key). */
export async function deleteFile(ctx: OperationContext, name: string): Promise<void> {
  if (!ctx.caller.auth.master) throw new AccessDeniedError('unauthorized: master key is required');
  const failure = { code: ErrorCode.FILE_DELETE_ERROR, message: 'Could not delete file.' };
  const before = ctx.services.cloud.fileHook('beforeDelete');
  const after = ctx.services.cloud.fileHook('afterDelete');
  // The file as hooks see it (its location may cost a files adapter work): only for hooks.
  const file = before || after ? await storedFile(ctx, name) : undefined;
  if (before) await runFileHook(ctx, before, 'beforeDelete', file!, null, failure);
  if (!(await ctx.services.files.delete(name))) throw new BackendError(failure.code, failure.message);
  // afterDelete's failure reaches the client though the file is gone, as parse-server answers.
  if (after) await runFileHook(ctx, after, 'afterDelete', file!, null, failure);
}
