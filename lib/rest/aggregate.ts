/** GET /aggregate/:className (master): a pipeline, or `distinct` values of a field. */
import type { ApiReply, ApiRequest } from '../http/api-request.js';
import { resolveWhere } from '../objects/secure-read.js';
import { coerceMatch } from '../query/aggregate-match.js';
import { parseAggregateParams } from '../query/aggregate-params.js';
import type { Json } from '../values/json.js';
import { pipelineCaller } from '../query/aggregate-stages.js';
import { withReadOnlyView } from '../query/read-only-view.js';
import { assertClassName } from '../schema/names.js';
import type { Services } from '../services.js';
import { requireMaster } from './server.js';

export async function aggregate(services: Services, req: ApiRequest, className: string): Promise<ApiReply> {
  requireMaster(req);
  assertClassName(className);
  const caller = pipelineCaller(
    req.caller.auth.readOnly === true,
    services.config.allowAggregationForReadOnlyMasterKey,
  );
  const params = parseAggregateParams(req.params, caller);
  const schema = await services.schemas.get(className);
  if (!schema) return { body: { results: [] } };
  const ctx = { services, caller: req.caller };
  if (params.kind === 'distinct') {
    const where = await resolveWhere(ctx, schema, params.where);
    return { body: { results: await services.storage.distinct(schema, params.field, where, null) } };
  }
  const resolved = await Promise.all(
    params.pipeline.map(async (stage) =>
      '$match' in stage
        ? { $match: await resolveWhere(ctx, schema, coerceMatch(stage.$match as Json, schema)) }
        : stage,
    ),
  );
  // The read-only key's stages see the class's declared fields only (read-only-view.ts).
  const pipeline = caller === 'readOnly' ? withReadOnlyView(resolved, schema) : resolved;
  return {
    body: {
      results: await services.storage.aggregate(schema, pipeline, null, {
        readPreference: params.readPreference,
        hint: params.hint,
        budget: req.caller.budget,
      }),
    },
  };
}
