/**
 * The upload pipeline: who may upload -> the name (validated, allowlisted extension, random prefix)
 * -> beforeSave hooks (which get the bytes, so the upload is buffered, within the size limit, only
 * when one is registered) -> the store (streamed) -> afterSave.
 */
import type { Readable } from 'node:stream';
import type { HookFile } from '../cloud/cloud-registry.js';
import { isPlainObject } from '../values/json.js';
import { runFileHook } from './file-hooks.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import type { OperationContext } from '../services.js';
import { limited, readWhole } from './size-limit.js';
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
  const { validateName } = ctx.services.files;
  if (validateName && name) validateName(name);
  else assertValidFileName(name);
  if (!ctx.caller.auth.master) {
    const extension = judgedExtension(name, declaredType);
    if (extension && !ctx.services.config.fileUpload.fileExtensions.some((allowed) => allowed.test(extension)))
      throw new BackendError(ErrorCode.FILE_SAVE_ERROR, `File upload of extension ${extension} is disabled.`);
  }
  return withExtension(name, declaredType);
}

/** Stores an upload; returns the stored name and its URL. */
export async function uploadFile(ctx: OperationContext, input: UploadInput): Promise<{ name: string; url: string }> {
  const { services } = ctx;
  await assertMayUpload(ctx);
  let name = checkName(ctx, input.filename, input.declaredType);
  let source: Readable | Buffer = input.source;
  let { metadata, tags } = input;
  let size: number | null | undefined;
  services.config.requestKeywordDenylist.assert(metadata);
  services.config.requestKeywordDenylist.assert(tags);
  const before = services.cloud.fileHook('beforeSave');
  if (before) {
    const data = await readWhole(limited(source, services.config.maxUploadSize));
    const file: HookFile = {
      name,
      data,
      contentType: input.declaredType || contentTypeOf(name),
      metadata: { ...metadata },
      tags: { ...tags },
    };
    await runFileHook(ctx, before, 'beforeSave', file, data.length, {
      code: ErrorCode.FILE_SAVE_ERROR,
      message: `Could not store file: ${name}.`,
    });
    if (typeof file.url === 'string' && typeof file.name === 'string') {
      // The hook answered with a file stored elsewhere: nothing is stored, its size is unknown here.
      await afterSave(ctx, { ...file, data: undefined }, null);
      return { name: file.name, url: file.url };
    }
    // The hook may rename the file or replace its bytes; the new name obeys the same rules.
    name = checkName(ctx, file.name, file.contentType);
    source = Buffer.isBuffer(file.data) ? file.data : data;
    size = source.length;
    metadata = isPlainObject(file.metadata) ? file.metadata : {};
    tags = isPlainObject(file.tags) ? file.tags : {};
    services.config.requestKeywordDenylist.assert(metadata);
    services.config.requestKeywordDenylist.assert(tags);
  }
  const stored = await services.files.create(
    storedFileName(name, services.config.preserveFileName),
    limited(source, services.config.maxUploadSize),
    { metadata, tags, contentType: contentTypeOf(name) },
  );
  const url = await services.fileUrls.locate(stored.name);
  const file: HookFile = { name: stored.name, url, contentType: contentTypeOf(stored.name), metadata, tags };
  await afterSave(ctx, file, size ?? stored.length);
  return { name: stored.name, url };
}

/** afterSave of a file: its failure reaches the client though the file is stored, as parse-server. */
async function afterSave(ctx: OperationContext, file: HookFile, size: number | null): Promise<void> {
  const after = ctx.services.cloud.fileHook('afterSave');
  if (after)
    await runFileHook(ctx, after, 'afterSave', file, size, {
      code: ErrorCode.FILE_SAVE_ERROR,
      message: `Could not store file: ${file.name}.`,
    });
}
