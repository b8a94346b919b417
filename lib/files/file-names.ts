/** File names: validation (parse-server's rule), the random prefix, extensions and content types. */
import { randomBytes } from 'node:crypto';
import { extension as extensionFor, lookup } from 'mime-types';
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

const VALID_NAME = /^[_a-zA-Z0-9][a-zA-Z0-9@. ~_-]*$/;
const MAX_NAME_LENGTH = 128;

/** Throws 122 for a name that is empty, too long or has characters outside Parse's set. */
export function assertValidFileName(name: string | undefined): asserts name is string {
  if (!name) throw new BackendError(ErrorCode.INVALID_FILE_NAME, 'Filename not provided.');
  if (name.length > MAX_NAME_LENGTH) throw new BackendError(ErrorCode.INVALID_FILE_NAME, 'Filename too long.');
  if (!VALID_NAME.test(name) || name.endsWith('.'))
    throw new BackendError(ErrorCode.INVALID_FILE_NAME, 'Filename contains invalid characters.');
}

/** The lower-case extension of a name, or '' when it has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** Gives an extension-less name the extension of its declared content type, as parse-server does. */
export function withExtension(name: string, contentType: string | undefined): string {
  if (extensionOf(name) !== '' || !contentType) return name;
  const ext = extensionFor(contentType);
  return ext ? `${name}.${ext}` : name;
}

/** The stored name: a random 32-hex-digit prefix keeps uploads from overwriting each other. */
export function storedFileName(name: string, preserve: boolean): string {
  return preserve ? name : `${randomBytes(16).toString('hex')}_${name}`;
}

/** The content type a file is served with, from its name (never from what the uploader claimed). */
export function contentTypeOf(name: string): string {
  return lookup(name) || 'application/octet-stream';
}

/**
 * Types a browser may render inline. Anything else (HTML, SVG, XML, scripts...) is sent as an
 * attachment, so user content can never run as a page of this origin.
 */
const INLINE_TYPES =
  /^(image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain|application\/pdf|application\/json|application\/octet-stream)$/;

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.test(contentType);
}
