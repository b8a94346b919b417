/**
 * The compact form of a document the collection stores. A store of many small documents is
 * dominated by per-object overhead, so a stored document is rebuilt once, when it is stored:
 *
 * - Objects get all their fields in-object. An object built field by field keeps only four
 *   in-object and spills the rest to a separate property array; a copy (`{ ...template }`) of a
 *   template parsed by `JSON.parse`, which sizes objects exactly, has the template's layout.
 * - Short strings in arrays (tags, Parse's `_rperm`/`_wperm` entries) are shared through a bounded
 *   table: they repeat across documents, and bson decodes strings of 2 or 3 characters as
 *   concatenations (two string objects each).
 *
 * - Small arrays of short strings (the same tags, the same ACL entries) are shared between
 *   documents, frozen: stored documents are immutable (updates work on deep copies), and a frozen
 *   array makes any attempt to change one in place fail loudly rather than alter other documents.
 *
 * The result has the same fields, in the same order, with the same values: only the layout in
 * memory differs, so nothing that reads a stored document can tell.
 */
import { carryHints, isPlainObject, type Doc } from './values.js';

/** Objects with more fields than this are built the usual way (templates are per field list). */
const MAX_TEMPLATE_FIELDS = 64;
/** Bounds on the template cache: a field-name list past these is built the usual way. */
const MAX_TEMPLATES = 2000;
const MAX_TEMPLATE_KEY_CHARS = 4096;

/** Only strings this short are shared; longer ones are rarely repeated values. */
const MAX_SHARED_STRING_LENGTH = 24;
/** Bound on the shared-string table; when full it is cleared (sharing is only an optimization). */
const MAX_SHARED_STRINGS = 20000;

/** Arrays of up to this many short strings are shared. */
const MAX_SHARED_ARRAY_LENGTH = 8;
/** Bound on the shared-array table; when full it is cleared. */
const MAX_SHARED_ARRAYS = 5000;

const templates = new Map<string, Doc>();
const sharedStrings = new Map<string, string>();
const sharedArrays = new Map<string, readonly string[]>();

/**
 * A template object for a list of field names: parsed JSON, whose objects have exactly as many
 * in-object fields as they have properties. Null when the list cannot use one.
 */
function templateFor(keys: string[]): Doc | null {
  if (keys.length <= 4 || keys.length > MAX_TEMPLATE_FIELDS) return null;
  const cacheKey = keys.join('\u0000');
  let template = templates.get(cacheKey);
  if (template) return template;
  // `__proto__` would be assigned through the prototype setter; such a document is built the usual way.
  if (cacheKey.length > MAX_TEMPLATE_KEY_CHARS || templates.size >= MAX_TEMPLATES || keys.includes('__proto__'))
    return null;
  template = JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:null`).join(',')}}`) as Doc;
  // JSON.parse lists integer-like keys first; a template that would reorder fields is not used.
  if (Object.keys(template).join('\u0000') !== cacheKey) return null;
  templates.set(cacheKey, template);
  return template;
}

/** The shared copy of a short string (flattened, since the table keeps it). */
function shared(s: string): string {
  if (s.length > MAX_SHARED_STRING_LENGTH) return s;
  const existing = sharedStrings.get(s);
  if (existing !== undefined) return existing;
  if (sharedStrings.size >= MAX_SHARED_STRINGS) sharedStrings.clear();
  sharedStrings.set(s, s);
  return s;
}

/** Whether an array holds only a few short strings, and so may be shared. */
function isShareableArray(value: unknown[]): value is string[] {
  if (value.length === 0 || value.length > MAX_SHARED_ARRAY_LENGTH) return false;
  for (const item of value) if (typeof item !== 'string' || item.length > MAX_SHARED_STRING_LENGTH) return false;
  return true;
}

/** The shared, frozen copy of a small array of short strings. */
function sharedArray(value: string[]): readonly string[] {
  // JSON spells every list of strings differently (a join could not tell ['a,', 'b'] from ['a', ',b']).
  const key = JSON.stringify(value);
  const existing = sharedArrays.get(key);
  if (existing !== undefined) return existing;
  if (sharedArrays.size >= MAX_SHARED_ARRAYS) sharedArrays.clear();
  const array = Object.freeze(value.map(shared));
  sharedArrays.set(key, array);
  return array;
}

function compactValue(value: unknown, inArray: boolean): unknown {
  if (typeof value === 'string') return inArray ? shared(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value))
    return isShareableArray(value) ? sharedArray(value) : value.map((item) => compactValue(item, true));
  if (isPlainObject(value)) return compactObject(value, Object.keys(value));
  return value;
}

/** Rebuilds an object with the given fields (in that order), all of them in-object when possible. */
function compactObject(source: Doc, keys: string[]): Doc {
  const template = templateFor(keys);
  const out: Doc = template ? { ...template } : {};
  for (const key of keys) {
    const value = compactValue(source[key], false);
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/**
 * The form of `doc` to store, `_id` first (as MongoDB keeps it), with `id` as its `_id`. The
 * result is a new object (so it may be stored without copying again) carrying `doc`'s type hints.
 */
export function storedDocument(doc: Doc, id: unknown): Doc {
  const keys = ['_id', ...Object.keys(doc).filter((k) => k !== '_id')];
  const stored = compactObject(doc._id === id ? doc : { ...doc, _id: id }, keys);
  carryHints(doc, stored, []);
  return stored;
}

/** The compact form of `doc` with its fields in their order (an updated document keeps its own). */
export function compactDocument(doc: Doc): Doc {
  const stored = compactObject(doc, Object.keys(doc));
  carryHints(doc, stored, []);
  return stored;
}
