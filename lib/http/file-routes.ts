/**
 * The /files routes, mounted before the JSON body parser because uploads are streamed: raw bodies
 * of any type, multipart forms (multer), and the JS SDK's JSON form (`base64`, `_ContentType`, and
 * `_method: "DELETE"` for deletes), which is recognised by peeking at the body's first bytes.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type express from 'express';
import { type Request, type Response, type Router } from 'express';
import multer, { type StorageEngine } from 'multer';
import { PUBLIC_AUTH } from '../access/request-auth.js';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { deleteFile, downloadFile, fileMetadata, type Download, type HandedOff } from '../files/serve-file.js';
import { uploadFile, type UploadInput } from '../files/upload-file.js';
import type { OperationContext, Services } from '../services.js';
import { sendError } from './error-body.js';
import { assertNoForbiddenKeys } from '../query/forbidden-keys.js';
import { readApiRequest } from './request-context.js';
import { assertWriteAllowed } from './route-table.js';
import type { Json } from '../values/json.js';

function fail(res: Response, err: unknown, services: Services): void {
  sendError(res, err, services.config.logger);
}

function tooLarge(services: Services): BackendError {
  return new BackendError(
    ErrorCode.FILE_TOO_LARGE,
    `File size exceeds maximum allowed: ${services.config.maxUploadSize} bytes.`,
  );
}

/** Resolves with the first chunk of the body (null when empty), leaving the stream paused. */
function firstChunk(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onReadable = (): void => {
      const chunk = req.read() as Buffer | null;
      if (chunk === null) return;
      done();
      resolve(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(null);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** The body again, with the chunk already read in front. */
async function* prepend(first: Buffer, rest: Readable): AsyncGenerator<Buffer> {
  yield first;
  for await (const chunk of rest) yield chunk as Buffer;
}

async function readAll(req: Readable, first: Buffer, limit: number, services: Services): Promise<Buffer> {
  const chunks = [first];
  let size = first.length;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(services);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isJsonForm(contentType: string, first: Buffer): boolean {
  return (
    /^(text\/plain|application\/json)/i.test(contentType) &&
    first.toString('utf8', 0, Math.min(first.length, 64)).trimStart().startsWith('{')
  );
}

/** Parses a buffered JSON-looking body; null when it is not the JS SDK's form. */
function parseJsonForm(data: Buffer): Json | null {
  try {
    const parsed = JSON.parse(data.toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const form = parsed as Json;
    return typeof form.base64 === 'string' || typeof form._method === 'string' ? form : null;
  } catch {
    return null;
  }
}

/** The caller of an upload or delete; the read-only master key may do neither. */
async function context(req: Request, services: Services): Promise<{ ctx: OperationContext; method: string }> {
  const api = await readApiRequest(req, services);
  assertWriteAllowed({ ...api, method: api.method === 'GET' ? 'POST' : api.method });
  return { ctx: { services, caller: api.caller }, method: api.method };
}

/** The SDK's binary uploads send metadata and tags as JSON headers. */
function jsonHeader(req: Request, name: string): Json {
  const raw = req.headers[name];
  if (typeof raw !== 'string' || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BackendError(ErrorCode.INVALID_JSON, `${name} must be a JSON object`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BackendError(ErrorCode.INVALID_JSON, `${name} must be a JSON object`);
  assertNoForbiddenKeys(parsed);
  return parsed as Json;
}

function objectOrEmpty(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

/** POST /files/:filename with a raw body, or the JS SDK's JSON form. */
async function handleUpload(req: Request, res: Response, services: Services): Promise<void> {
  const maxBytes = services.config.maxUploadSize;
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge(services);
  const contentType = req.headers['content-type'] ?? '';
  const first = await firstChunk(req);
  if (first === null) throw new BackendError(ErrorCode.FILE_SAVE_ERROR, 'Invalid file upload.');
  let input: UploadInput;
  let ctx: OperationContext;
  if (isJsonForm(contentType, first)) {
    // base64 is 4/3 of the data; leave room for the other keys.
    const data = await readAll(req, first, Math.ceil((maxBytes * 4) / 3) + 64 * 1024, services);
    const form = parseJsonForm(data);
    if (form) {
      assertNoForbiddenKeys(form);
      const declaredType = typeof form._ContentType === 'string' ? form._ContentType : undefined;
      req.body = form;
      const resolved = await context(req, services);
      ctx = resolved.ctx;
      if (resolved.method === 'DELETE') {
        await deleteFile(ctx, String(req.params.filename));
        res.status(200).json({});
        return;
      }
      const bytes = Buffer.from(String(form.base64).replace(/^data:[^,]*,/, ''), 'base64');
      const fileData = objectOrEmpty(form.fileData);
      input = {
        filename: String(req.params.filename),
        declaredType,
        source: bytes,
        metadata: objectOrEmpty(fileData.metadata),
        tags: objectOrEmpty(fileData.tags),
      };
    } else {
      ctx = (await context(req, services)).ctx;
      input = {
        filename: String(req.params.filename),
        declaredType: contentType,
        source: data,
        metadata: {},
        tags: {},
      };
    }
  } else {
    ctx = (await context(req, services)).ctx;
    input = {
      filename: String(req.params.filename),
      declaredType: contentType.split(';')[0],
      source: Readable.from(prepend(first, req)),
      metadata: jsonHeader(req, 'x-parse-file-metadata'),
      tags: jsonHeader(req, 'x-parse-file-tags'),
    };
  }
  const stored = await uploadFile(ctx, input);
  res.status(201).setHeader('Location', stored.url);
  res.json(stored);
}

/** multer storage that streams each file straight into the file store. */
function streamingStorage(services: Services): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const run = async (): Promise<{ name: string; url: string }> => {
        // Credentials come from headers or from form fields sent before the file.
        const { ctx } = await context(req as Request, services);
        return uploadFile(ctx, {
          filename: (req.params as { filename?: string }).filename ?? file.originalname,
          declaredType: file.mimetype,
          source: file.stream,
          metadata: {},
          tags: {},
        });
      };
      run().then(
        (stored) => callback(null, stored as Partial<Express.Multer.File>),
        (err: unknown) => {
          file.stream.resume();
          callback(err as Error);
        },
      );
    },
    _removeFile(_req, _file, callback) {
      callback(null);
    },
  };
}

function multipartUpload(services: Services): express.RequestHandler {
  const upload = multer({
    storage: streamingStorage(services),
    limits: { files: 1, fields: 20, fieldSize: 64 * 1024, fileSize: services.config.maxUploadSize },
  }).any();
  return (req, res) => {
    upload(req, res, (err: unknown) => {
      if (err) {
        const code = (err as { code?: string }).code;
        if (code === 'LIMIT_FILE_SIZE') return fail(res, tooLarge(services), services);
        if (typeof code === 'string' && code.startsWith('LIMIT_'))
          return fail(res, new BackendError(ErrorCode.FILE_SAVE_ERROR, `Invalid file upload: ${code}`), services);
        return fail(res, err, services);
      }
      const [stored] = (req.files ?? []) as unknown as { name: string; url: string }[];
      if (!stored)
        return fail(
          res,
          new BackendError(ErrorCode.FILE_SAVE_ERROR, 'Invalid file upload: no file in the form.'),
          services,
        );
      res.status(201).setHeader('Location', stored.url);
      res.json({ name: stored.name, url: stored.url });
    });
  };
}

function isMultipart(req: Request): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

/** Downloads need no keys (file URLs are public, or signed); hooks still see the caller's headers. */
function downloadContext(req: Request, services: Services): OperationContext {
  return { services, caller: { auth: PUBLIC_AUTH, context: {}, headers: req.headers, ip: req.ip } };
}

async function sendDownload(
  req: Request,
  res: Response,
  download: Download | HandedOff | { status: 304 | 416; headers: Record<string, string> },
): Promise<void> {
  for (const [name, value] of Object.entries(download.headers)) res.setHeader(name, value);
  if (download.status === 'handed-off') {
    await download.answer(req, res).catch(() => {
      // As parse-server answers a file its adapter cannot stream.
      if (!res.headersSent) res.status(404).type('text/plain').send('File not found.');
      else res.destroy();
    });
    return;
  }
  res.status(download.status);
  if (!('body' in download)) {
    res.end();
    return;
  }
  if (Buffer.isBuffer(download.body)) {
    res.end(download.body);
    return;
  }
  await pipeline(download.body, res);
}

/** Adds the /files routes to `router`. */
export function mountFileRoutes(router: Router, services: Services, beforeRequest: () => Promise<void>): void {
  const multipart = multipartUpload(services);
  const guarded =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response): void => {
      beforeRequest()
        .then(() => handler(req, res))
        .catch((err: unknown) => fail(res, err, services));
    };
  router.post('/files', (req, res) => {
    if (isMultipart(req)) guarded(async () => void multipart(req, res, () => undefined))(req, res);
    else fail(res, new BackendError(ErrorCode.INVALID_FILE_NAME, 'Filename not provided.'), services);
  });
  router.post('/files/:filename', (req, res) => {
    if (isMultipart(req)) guarded(async () => void multipart(req, res, () => undefined))(req, res);
    else guarded((rq, rs) => handleUpload(rq, rs, services))(req, res);
  });
  router.get(
    '/files/:appId/metadata/:filename',
    guarded(async (req, res) => {
      // As parse-server: metadata of anything unknown is simply empty.
      if (req.params.appId !== services.config.appId) {
        res.json({});
        return;
      }
      res.json(await fileMetadata(downloadContext(req, services), String(req.params.filename), req.query.token));
    }),
  );
  router.get(
    '/files/:appId/:filename',
    guarded(async (req, res) => {
      if (req.params.appId !== services.config.appId) {
        res.status(403).json({ error: 'Permission denied' });
        return;
      }
      const download = await downloadFile(
        downloadContext(req, services),
        String(req.params.filename),
        req.query.token,
        req.headers.range,
        req.headers['if-none-match'],
      ).catch((err: unknown) => {
        // A download link answers as parse-server's does: plain text, for browsers and players.
        if (err instanceof BackendError && err.code === ErrorCode.OBJECT_NOT_FOUND) return null;
        throw err;
      });
      if (!download) {
        res.status(404).type('text/plain').send('File not found.');
        return;
      }
      await sendDownload(req, res, download);
    }),
  );
  router.delete(
    '/files/:filename',
    guarded(async (req, res) => {
      const { ctx } = await context(req, services);
      await deleteFile(ctx, String(req.params.filename));
      res.json({});
    }),
  );
}
