/**
 * Projections. mingo projects inclusions, exclusions, `$elemMatch` and expressions; this module
 * checks the projection as MongoDB does, keeps the document's field order (mingo uses the
 * projection's), and does itself what needs more than the document: `{ $meta: 'textScore' }`
 * (the scores of a `$text` read), the positional `field.$` (the query's conditions on the array)
 * and `$slice` (which, alone, keeps every other field).
 */
import { find } from 'mingo';
import { badValue, commandError } from './command-error.js';
import { positionalMatcher } from './filter.js';
import { carryHints, cloneValue, isPlainObject, valueAtPath, type Collation, type Doc } from './values.js';

/** Turns documents into what the client asked to see of them. */
export type Projector = (docs: Doc[], scores?: Map<Doc, number>) => Doc[];

type SliceSpec = number | [number, number];

interface ProjectionPlan {
  /** What mingo projects. */
  mingoSpec: Doc;
  inclusive: boolean;
  scoreFields: string[];
  slices: [string, SliceSpec][];
  /** The array path of a positional `path.$`, if any. */
  positional: string | null;
  /**
   * True when a field inside a subdocument is excluded: mingo removes it from a shallow copy, that
   * is from the stored subdocument itself, so such a projection must work on a deep copy.
   */
  excludesNested: boolean;
}

type FieldKind = 'inclusion' | 'exclusion' | 'neutral';

/** Whether a projection value includes, excludes, or (`$slice`, `$meta`) does neither. */
function kindOf(spec: unknown): FieldKind {
  if (spec === 0 || spec === false) return 'exclusion';
  if (!isPlainObject(spec)) return 'inclusion';
  const keys = Object.keys(spec);
  if (keys.length === 1 && (keys[0] === '$slice' || keys[0] === '$meta')) return 'neutral';
  if (keys.some((k) => k.startsWith('$'))) return 'inclusion';
  // A nested projection, `{ a: { b: 0 } }`, is what its fields are.
  const kinds = new Set(Object.values(spec).map(kindOf));
  return kinds.has('inclusion') ? 'inclusion' : kinds.has('exclusion') ? 'exclusion' : 'neutral';
}

function readSlice(field: string, value: unknown): SliceSpec {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number' && Number.isInteger(n))) {
    if ((value[1] as number) <= 0) throw badValue(`$slice limit must be positive: ${field}`);
    return [value[0] as number, value[1] as number];
  }
  throw badValue(`$slice only supports numbers and [skip, limit] arrays: ${field}`);
}

/** Splits a projection between mingo and this module, refusing what MongoDB refuses. */
function planProjection(projection: Doc): ProjectionPlan {
  const plan: ProjectionPlan = {
    mingoSpec: {},
    inclusive: false,
    scoreFields: [],
    slices: [],
    positional: null,
    excludesNested: false,
  };
  let mode: 'inclusion' | 'exclusion' | null = null;
  for (const [field, spec] of Object.entries(projection)) {
    const kind = kindOf(spec);
    if (kind === 'exclusion' && (field.includes('.') || isPlainObject(spec))) plan.excludesNested = true;
    if (field !== '_id' && kind !== 'neutral') {
      if (mode === 'inclusion' && kind === 'exclusion')
        throw commandError(31254, `Cannot do exclusion on field ${field} in inclusion projection`);
      if (mode === 'exclusion' && kind === 'inclusion')
        throw commandError(31253, `Cannot do inclusion on field ${field} in exclusion projection`);
      mode = kind;
    }
    if (isPlainObject(spec) && '$meta' in spec) {
      if (spec.$meta !== 'textScore') throw badValue(`Unsupported $meta: ${String(spec.$meta)}`);
      plan.scoreFields.push(field);
    } else if (isPlainObject(spec) && '$slice' in spec && Object.keys(spec).length === 1) {
      plan.slices.push([field, readSlice(field, spec.$slice)]);
    } else if (field.endsWith('.$')) {
      if (plan.positional !== null) throw badValue('Cannot specify more than one positional projection per query.');
      plan.positional = field.slice(0, -2);
      plan.mingoSpec[plan.positional] = 1;
    } else {
      plan.mingoSpec[field] = spec;
    }
  }
  plan.inclusive = mode === 'inclusion';
  // An included `$slice` field must be kept by the inclusion before being sliced.
  if (plan.inclusive) for (const [field] of plan.slices) plan.mingoSpec[field] = 1;
  return plan;
}

/** Returns `value` with `fn` applied at `path`, copying what it changes (stored documents are shared). */
function mapAtPath(value: unknown, parts: string[], fn: (v: unknown) => unknown): unknown {
  if (parts.length === 0) return fn(value);
  if (Array.isArray(value)) return value.map((item) => (isPlainObject(item) ? mapAtPath(item, parts, fn) : item));
  if (!isPlainObject(value)) return value;
  const [head, ...rest] = parts as [string, ...string[]];
  if (!(head in value)) return value;
  return { ...value, [head]: mapAtPath(value[head], rest, fn) };
}

function slice(value: unknown, spec: SliceSpec): unknown {
  if (!Array.isArray(value)) return value;
  if (typeof spec === 'number') return spec >= 0 ? value.slice(0, spec) : value.slice(Math.max(0, value.length + spec));
  const [skip, limit] = spec;
  const start = skip >= 0 ? skip : Math.max(0, value.length + skip);
  return value.slice(start, start + limit);
}

/** Puts the fields of a projected value in the order of the document it came from. */
function orderLike(out: unknown, source: unknown): unknown {
  if (Array.isArray(out) && Array.isArray(source)) return out.map((v, i) => orderLike(v, source[i]));
  if (!isPlainObject(out) || !isPlainObject(source)) return out;
  const ordered: Doc = {};
  for (const key of Object.keys(source)) if (key in out) ordered[key] = orderLike(out[key], source[key]);
  for (const key of Object.keys(out)) if (!(key in ordered)) ordered[key] = out[key];
  return ordered;
}

/** For `path.$`: the first element of the array at `path` that meets the query's conditions on it. */
function positionalElement(path: string, filter: Doc, collation: Collation | null): (doc: Doc) => unknown {
  const matcher = positionalMatcher(path, filter, collation);
  return (doc) => {
    const index = matcher(doc);
    if (index === null)
      throw commandError(51246, "positional operator '.$' couldn't find a matching element in the array");
    return [(valueAtPath(doc, path) as unknown[])[index]];
  };
}

/**
 * Compiles a projection document; `undefined` or `{}` keeps documents whole. `filter` and
 * `collation` are the query's, for the positional `$`.
 */
export function compileProjection(
  projection: unknown,
  filter: Doc = {},
  collation: Collation | null = null,
): Projector {
  if (projection === undefined || projection === null) return (docs) => docs;
  if (!isPlainObject(projection)) throw badValue('projection must be a document');
  const plan = planProjection(projection);
  const useMingo = Object.keys(plan.mingoSpec).length > 0;
  const positional = plan.positional === null ? null : positionalElement(plan.positional, filter, collation);
  // Hints are keyed by array index, which a positional projection or a slice shifts.
  const reshaped = [...plan.slices.map(([path]) => path), ...(plan.positional === null ? [] : [plan.positional])];
  const finish = (source: Doc, projected: Doc, scores: Map<Doc, number> | undefined): Doc => {
    let out = projected === source ? source : (orderLike(projected, source) as Doc);
    if (positional && plan.positional !== null) {
      const element = positional(source);
      out = mapAtPath(out, plan.positional.split('.'), () => element) as Doc;
    }
    for (const [path, spec] of plan.slices) out = mapAtPath(out, path.split('.'), (v) => slice(v, spec)) as Doc;
    if (out === source) out = { ...source };
    carryHints(source, out, reshaped);
    for (const field of plan.scoreFields) out[field] = scores?.get(source) ?? 0;
    return out;
  };
  return (docs, scores) => {
    let projected = docs;
    if (useMingo) {
      try {
        projected = find(plan.excludesNested ? docs.map(cloneValue) : docs, {}, plan.mingoSpec).all() as Doc[];
      } catch (err) {
        throw badValue(err instanceof Error ? err.message : String(err));
      }
    }
    return docs.map((doc, i) => finish(doc, projected[i]!, scores));
  };
}
