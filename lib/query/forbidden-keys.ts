/**
 * parse-server's `requestKeywordDenylist`: keys and values refused anywhere in request data, to
 * stop prototype pollution and BSON injection (GHSA-q342-9w2p-57fp and its kin).
 *
 * A rule names a key, a value, or both; a string in a rule is a regular expression, tested
 * unanchored, as parse-server tests it (so `constructor` also refuses `myconstructor`). Data is
 * scanned at any depth, array items included, and a dotted key path (`a.b.c` in an update) is
 * checked segment by segment. A match answers 105 naming the rule as JSON, parse-server's message.
 */
import { BackendError } from '../errors/backend-error.js';
import { ErrorCode } from '../errors/error-codes.js';

/** One entry of `requestKeywordDenylist`. */
export interface KeywordRule {
  key?: string | number | boolean;
  value?: string | number | boolean;
}

/** parse-server's default list, which a host's own list replaces. */
export const DEFAULT_KEYWORD_DENYLIST: readonly KeywordRule[] = [
  { key: '_bsontype', value: 'Code' },
  { key: 'constructor' },
  { key: '__proto__' },
];

/** JSON nested deeper than this is refused rather than walked (stack safety). */
const MAX_DEPTH = 64;

type Matcher = (candidate: unknown) => boolean;

/** A pattern with no regular-expression syntax is found by a plain substring search (cheaper, same result). */
const LITERAL = /^[A-Za-z0-9_ -]*$/;

/** parse-server's match: a string tested against the rule as a regex, or the same value. */
function matcher(expected: string | number | boolean | undefined): Matcher | null {
  if (expected === undefined) return null;
  const source = String(expected);
  if (LITERAL.test(source))
    return (candidate) => (typeof candidate === 'string' && candidate.includes(source)) || candidate === expected;
  const pattern = new RegExp(source);
  return (candidate) => (typeof candidate === 'string' && pattern.test(candidate)) || candidate === expected;
}

interface CompiledRule {
  key: Matcher | null;
  value: Matcher | null;
  message: string;
}

/** A compiled denylist; `assert` throws 105 for the first rule (in list order) the data matches. */
export class KeywordDenylist {
  private readonly rules: CompiledRule[];
  /**
   * Whether this list may refuse what the check of every request's JSON lets through (it is not
   * parse-server's default, which that check covers): then writes must be checked against it.
   */
  readonly beyondRequestCheck: boolean;

  constructor(rules: readonly KeywordRule[]) {
    this.beyondRequestCheck = JSON.stringify(rules) !== JSON.stringify(DEFAULT_KEYWORD_DENYLIST);
    this.rules = rules.map((rule) => ({
      key: matcher(rule.key),
      value: matcher(rule.value),
      message: `Prohibited keyword in request data: ${JSON.stringify(rule)}.`,
    }));
  }

  /** Throws 105 if `data` holds a denied key or value anywhere. */
  assert(data: unknown): void {
    if (this.rules.length === 0 || data === null || typeof data !== 'object') return;
    const first = this.firstMatch(data, 0, this.rules.length);
    if (first < this.rules.length) throw new BackendError(ErrorCode.INVALID_KEY_NAME, this.rules[first]!.message);
  }

  /** The index of the first rule matched within `value`, or `bound` when none below it is. */
  private firstMatch(value: object, depth: number, bound: number): number {
    if (depth > MAX_DEPTH) throw new BackendError(ErrorCode.INVALID_JSON, 'JSON is nested too deeply');
    let best = bound;
    for (const [key, item] of Object.entries(value)) {
      best = Math.min(best, this.entryMatch(key, item, best));
      if (best === 0) return 0;
      if (item !== null && typeof item === 'object') best = this.firstMatch(item, depth + 1, best);
      if (best === 0) return 0;
    }
    return best;
  }

  private entryMatch(key: string, item: unknown, bound: number): number {
    const segments = key.includes('.') ? key.split('.') : null;
    for (let i = 0; i < bound; i++) {
      const rule = this.rules[i]!;
      const keyMatches = rule.key === null || rule.key(key) || (segments?.some(rule.key) ?? false);
      const valueMatches = rule.value === null || rule.value(item);
      if (keyMatches && valueMatches && (rule.key !== null || rule.value !== null)) return i;
    }
    return bound;
  }
}

/**
 * Always applied to every request's JSON, whatever the host's list: parse-server's defaults, and
 * any `_bsontype` key (a BSON type marker has no place in request data).
 */
const ALWAYS_DENIED = new KeywordDenylist([...DEFAULT_KEYWORD_DENYLIST, { key: '_bsontype' }]);

/** Refuses request JSON carrying the keys that are denied whatever the configuration (105). */
export function assertNoForbiddenKeys(value: unknown): void {
  ALWAYS_DENIED.assert(value);
}
