/**
 * What the read-only master key's pipelines read: the class's declared fields, without secrets or
 * storage-internal ones. Refusing internal names (aggregate-stages.ts) is not enough on its own:
 * `$$ROOT`, `$objectToArray` or a `$facet` of whole documents reach `_hashed_password` without
 * naming it, and nested results are not filtered on the way out. So the documents are cut down
 * before any stage can see them whole.
 */
import type { ClassSchema } from '../schema/class-schema.js';
import { isSecretField } from './aggregate-stages.js';
import type { Json } from '../values/json.js';

/** Stages that only filter or order documents, never reshape them: they may run before the view (and use indexes there). */
const FILTER_STAGES = new Set(['$match', '$sort', '$skip', '$limit']);

/** An inclusion `$project` of the declared fields (Parse names; storage turns them into stored ones). */
export function readOnlyView(schema: ClassSchema): Json {
  const fields: Json = {};
  for (const [name, field] of Object.entries(schema.fields)) {
    // ACL and relations are not stored under their Parse name; secrets are left out.
    if (field.type === 'ACL' || field.type === 'Relation' || isSecretField(name)) continue;
    fields[name] = 1;
  }
  return { $project: fields };
}

/** The pipeline with the view after its leading filter stages (`$text` must stay first, and `$match` keeps its indexes). */
export function withReadOnlyView(pipeline: readonly Json[], schema: ClassSchema): Json[] {
  let at = 0;
  while (at < pipeline.length && FILTER_STAGES.has(Object.keys(pipeline[at]!)[0]!)) at++;
  return [...pipeline.slice(0, at), readOnlyView(schema), ...pipeline.slice(at)];
}
