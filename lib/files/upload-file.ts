/**
 * The upload pipeline: who may upload -> the name (validated, allowlisted extension, random prefix)
 * -> beforeSave hooks (which get the bytes, so the upload is buffered, within the size limit, only
 * when one is registered) -> the store (streamed) -> afterSave.
 */
import type { Readable } from 'node:stream';
import type { FileHookRequest, HookFile } from '../cloud/cloud-registry.js';
import { runAfterTrigger, runHook } from '../cloud/hook-runner.js';
import { callerFields } from '../cloud/caller-fields.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import { assertValidFileName, contentTypeOf, storedFileName, withExtension } from './file-names.js';

/** What an upload carries. */
export interface UploadInput {
  filename: string | undefined;
  /** The type the uploader declared; used only to add a missing extension. */
  declaredType: string | undefined;
  source: Readable | Buffer;
  metadata: Record<string, unknown>;
  tags: Record<string, unknown>;
}

/** Applies `fileUpload`: master always; else by who the caller is. 130 when not allowed. */
async function assertMayUpload(ctx: OperationContext): Promise<void> {
  const { auth } = ctx.caller;
  const policy = ctx.services.config.fileUpload;
  if (auth.master) return;
  if (!auth.userId) {
    if (!policy.enableForPublic)
      throw new BackendError(ErrorCode.FILE_SAVE_ERROR, 'File upload by public is disabled.');
    return;
  }
  const anonymous = (await ctx.services.storage.authProvidersOf(auth.userId)).includes('anonymous');
  if (anonymous && !policy.enableForAnonymousUser)
    throw new BackendError(ErrorCode.FILE_SAVE_ERROR, 'File upload by anonymous user is disabled.');
  if (!anonymous && !policy.enableForAuthenticatedUser)
    throw new BackendError(ErrorCode.FILE_SAVE_ERROR, 'File upload by authenticated user is disabled.');
}

/**
 * The extension `fileUpload.fileExtensions` judges, as parse-server takes it: the file name's, or
 * without one the content type's subtype, without MIME parameters.
 */
function judgedExtension(name: string, contentType: string | undefined): string {
  const extension = name.includes('.')
    ? name.slice(name.lastIndexOf('.') + 1)
    : contentType?.includes('/')
      ? contentType.split('/')[1]!
      : (contentType ?? '');
  return extension.split(';')[0]!.replace(/\s+/g, '');
}

function checkName(ctx: OperationContext, name: string | undefined, declaredType: string | undefined): string {
  assertValidFileName(name);
  if (!ctx.caller.auth.master) {
    const extension = judgedExtension(name, declaredType);
    if (extension && !ctx.services.config.fileUpload.fileExtensions.some((allowed) => allowed.test(extension)))
      throw new BackendError(ErrorCode.FILE_SAVE_ERROR, `File upload of extension ${extension} is disabled.`);
  }
  return withExtension(name, declaredType);
}

/** Reads a stream into memory, refusing more than `maxBytes`. */
async function buffered(source: Readable | Buffer, maxBytes: number): Promise<Buffer> {
  if (Buffer.isBuffer(source)) {
    if (source.length > maxBytes)
      throw new BackendError(ErrorCode.FILE_TOO_LARGE, `File size exceeds maximum allowed: ${maxBytes} bytes.`);
    return source;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new BackendError(ErrorCode.FILE_TOO_LARGE, `File size exceeds maximum allowed: ${maxBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The fields every file hook request shares. */
export function fileHookRequest(
  ctx: OperationContext,
  trigger: FileHookRequest['triggerName'],
  file: HookFile,
  fileSize: number,
): FileHookRequest {
  return { ...callerFields(ctx), file, fileSize, userId: ctx.caller.auth.userId, triggerName: trigger };
}

/** Stores an upload; returns the stored name and its URL. */
export async function uploadFile(ctx: OperationContext, input: UploadInput): Promise<{ name: string; url: string }> {
  const { services } = ctx;
  await assertMayUpload(ctx);
  let name = checkName(ctx, input.filename, input.declaredType);
  let source: Readable | Buffer = input.source;
  let metadata = input.metadata;
  services.config.requestKeywordDenylist.assert(metadata);
  services.config.requestKeywordDenylist.assert(input.tags);
  const before = services.cloud.fileHook('beforeSave');
  if (before) {
    const data = await buffered(source, services.config.maxUploadSize);
    const file: HookFile = {
      name,
      data,
      contentType: contentTypeOf(name),
      metadata: { ...metadata },
      tags: { ...input.tags },
    };
    await runHook(before, fileHookRequest(ctx, 'beforeSave', file, data.length));
    // The hook may rename the file or replace its bytes; the new name obeys the same rules.
    name = checkName(ctx, file.name, undefined);
    source = Buffer.isBuffer(file.data) ? file.data : data;
    metadata = file.metadata;
    services.config.requestKeywordDenylist.assert(metadata);
  }
  const stored = await services.files.create(storedFileName(name, services.config.preserveFileName), source, {
    metadata,
    maxBytes: services.config.maxUploadSize,
  });
  const url = services.fileUrls.urlFor(stored.name);
  const after = services.cloud.fileHook('afterSave');
  if (after) {
    const file: HookFile = {
      name: stored.name,
      url,
      contentType: contentTypeOf(stored.name),
      metadata: stored.metadata,
      tags: input.tags,
    };
    await runAfterTrigger(ctx, 'afterSave file', { name: stored.name }, () =>
      runHook(after, fileHookRequest(ctx, 'afterSave', file, stored.length)),
    );
  }
  return { name: stored.name, url };
}
