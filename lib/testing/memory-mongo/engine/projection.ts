/** Projections, through mingo, plus `{ $meta: 'textScore' }` which needs the scores of a `$text` read. */
import { find } from 'mingo';
import { badValue } from './command-error.js';
import { carryHints, isPlainObject, type Doc } from './values.js';

/** Turns documents into what the client asked to see of them. */
export type Projector = (docs: Doc[], scores?: Map<Doc, number>) => Doc[];

/** Compiles a projection document; `undefined` or `{}` keeps documents whole. */
export function compileProjection(projection: unknown): Projector {
  if (projection === undefined || projection === null) return (docs) => docs;
  if (!isPlainObject(projection)) throw badValue('projection must be a document');
  const scoreFields: string[] = [];
  const rest: Doc = {};
  for (const [field, spec] of Object.entries(projection)) {
    if (isPlainObject(spec) && spec.$meta === 'textScore') scoreFields.push(field);
    else rest[field] = spec;
  }
  const hasRest = Object.keys(rest).length > 0;
  return (docs, scores) => {
    let projected: Doc[];
    try {
      projected = hasRest ? (find(docs, {}, rest).all() as Doc[]) : docs.map((d) => ({ ...d }));
    } catch (err) {
      throw badValue(err instanceof Error ? err.message : String(err));
    }
    projected.forEach((out, i) => {
      const source = docs[i]!;
      carryHints(source, out, []);
      for (const field of scoreFields) out[field] = scores?.get(source) ?? 0;
    });
    return projected;
  };
}
