/**
 * A quick estimate of the bytes a stored document takes, to charge a request's byte budget. The
 * driver's exact BSON size walks every value with UTF-8 lengths and costs about a microsecond per
 * small document on every read; the budget only needs the order of magnitude. Part of the MongoDB
 * storage.
 */

/** Roughly the document's BSON size: string lengths, 8 bytes a number or date, key names and framing. */
export function estimatedSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 5;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 1;
      if (value instanceof Date) return 8;
      if (ArrayBuffer.isView(value)) return value.byteLength + 5;
      const binary = value as { _bsontype?: string; length?: () => number };
      if (binary._bsontype === 'Binary' && typeof binary.length === 'function') return binary.length() + 5;
      let size = 5;
      if (Array.isArray(value)) {
        for (const item of value) size += 8 + estimatedSize(item);
        return size;
      }
      for (const key in value) size += key.length + 2 + estimatedSize((value as Record<string, unknown>)[key]);
      return size;
    }
    default:
      return 8;
  }
}
