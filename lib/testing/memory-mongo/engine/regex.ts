/**
 * MongoDB regular expressions (PCRE, with options i, m, s, x, u) as JavaScript RegExps. The bson
 * package's own conversion is lossy (it turns option `s` into the stateful `g` flag and drops `x`),
 * so the server decodes regexes as BSONRegExp and builds the RegExp here.
 */
import { BSONRegExp } from 'bson';
import { commandError } from './command-error.js';

/** The pattern and options a RegExp was built from, to compare and show it as MongoDB would. */
const bsonSource = Symbol('bsonSource');
type SourcedRegExp = RegExp & { [bsonSource]?: { pattern: string; options: string } };

const VALID_OPTIONS = new Set(['i', 'm', 's', 'x', 'u']);

/** Removes what PCRE's extended mode ignores: unescaped whitespace and `#` comments outside classes. */
function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

/**
 * PCRE's `\Q...\E` quotes everything between as literal text (the Parse SDKs quote `startsWith`
 * and `contains` this way); JavaScript has no such syntax, so the quoted text is escaped instead.
 */
function expandQuoting(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] === '\\' && pattern[i + 1] === 'Q') {
      const end = pattern.indexOf('\\E', i + 2);
      const literal = pattern.slice(i + 2, end === -1 ? pattern.length : end);
      out += literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end === -1 ? pattern.length : end + 2;
    } else if (pattern[i] === '\\') {
      out += pattern.slice(i, i + 2);
      i += 2;
    } else {
      out += pattern[i];
      i++;
    }
  }
  return out;
}

/**
 * Builds the RegExp for a MongoDB pattern and options; throws MongoDB's errors for an unknown
 * option (51108) or a pattern that does not compile (51091). A leading inline-options group such
 * as `(?i)` is turned into flags, since JavaScript has no inline options.
 */
export function mongoRegex(pattern: string, options: string): RegExp {
  let opts = options;
  let body = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    opts += inline[1];
    body = body.slice(inline[0].length);
  }
  for (const option of opts) {
    if (!VALID_OPTIONS.has(option)) throw commandError(51108, `invalid flag in regex options: ${option}`);
  }
  body = expandQuoting(body);
  if (opts.includes('x')) body = stripExtended(body);
  const flags = [...new Set(opts.replace(/[xu]/g, ''))].join('');
  let regex: SourcedRegExp;
  try {
    regex = new RegExp(body, flags);
  } catch (err) {
    throw commandError(51091, `Regular expression is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
  Object.defineProperty(regex, bsonSource, { value: { pattern, options }, enumerable: false });
  return regex;
}

/** The RegExp a decoded BSON regex stands for in a command (filters and update operands). */
export function regexFromBson(value: BSONRegExp): RegExp {
  return mongoRegex(value.pattern, value.options);
}

/** `/pattern/options` as MongoDB spells a regex, for equality keys and ordering. */
export function regexText(value: RegExp | BSONRegExp): string {
  if (value instanceof BSONRegExp) return `/${value.pattern}/${[...value.options].sort().join('')}`;
  const source = (value as SourcedRegExp)[bsonSource];
  if (source) return `/${source.pattern}/${[...source.options].sort().join('')}`;
  return `/${value.source}/${[...value.flags].sort().join('')}`;
}
