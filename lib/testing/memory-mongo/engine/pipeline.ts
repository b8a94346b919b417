/**
 * Aggregation pipelines as MongoDB parses them, before mingo runs them: stages are checked with
 * MongoDB's error codes (mingo runs some malformed stages, and reports others vaguely), and
 * `$count` becomes `$group` + `$project`, as MongoDB defines it (mingo's `$count` yields a count
 * of 0 for no input, where MongoDB yields no document).
 */
import * as mingoAccumulators from 'mingo/operators/accumulator';
import * as mingoStages from 'mingo/operators/pipeline';
import { badValue, commandError } from './command-error.js';
import { parseSort } from './sort.js';
import { isPlainObject, type Doc } from './values.js';

/** Every stage MongoDB 7 knows. */
const MONGODB_STAGES = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$changeStream',
  '$changeStreamSplitLargeEvent',
  '$collStats',
  '$count',
  '$currentOp',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$geoNear',
  '$graphLookup',
  '$group',
  '$indexStats',
  '$limit',
  '$listLocalSessions',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$lookup',
  '$match',
  '$merge',
  '$out',
  '$planCacheStats',
  '$project',
  '$queryStats',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$search',
  '$searchMeta',
  '$set',
  '$setWindowFields',
  '$shardedDataDistribution',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
  '$vectorSearch',
]);

/**
 * The stages run here: mingo's, except `$out` and `$merge`, which would write to mingo's copies of
 * the collections rather than to the store.
 */
const SUPPORTED_STAGES = new Set(Object.keys(mingoStages).filter((name) => name !== '$out' && name !== '$merge'));
const ACCUMULATORS = new Set(Object.keys(mingoAccumulators));

function checkGroup(spec: unknown): void {
  if (!isPlainObject(spec)) throw commandError(15947, "a group's fields must be specified in an object");
  if (!('_id' in spec)) throw commandError(15955, 'a group specification must include an _id');
  for (const [field, accumulator] of Object.entries(spec)) {
    if (field === '_id') continue;
    if (!isPlainObject(accumulator) || Object.keys(accumulator).length !== 1) {
      throw commandError(40238, `The field '${field}' must specify one accumulator`);
    }
    const name = Object.keys(accumulator)[0]!;
    if (!ACCUMULATORS.has(name)) throw commandError(15952, `unknown group operator '${name}'`);
  }
}

function checkLimit(spec: unknown): void {
  if (typeof spec !== 'number') throw commandError(15957, 'the limit must be specified as a number');
  if (spec <= 0) throw commandError(15958, 'the limit must be positive');
}

function checkSkip(spec: unknown): void {
  if (typeof spec !== 'number') throw commandError(15972, 'Argument to $skip must be a number');
  if (spec < 0) throw commandError(15956, 'Argument to $skip cannot be negative');
}

function checkUnwind(spec: unknown): void {
  const path = isPlainObject(spec) ? spec.path : spec;
  if (typeof path !== 'string') {
    throw commandError(
      isPlainObject(spec) ? 28812 : 15981,
      'expected either a string or an object as specification for $unwind stage, with a string path',
    );
  }
  if (!path.startsWith('$')) throw commandError(28818, "path option to $unwind stage should be prefixed with a '$'");
}

/** `$count: name` is `$group` by null with `$sum: 1`, then `$project` away the `_id`. */
function desugarCount(spec: unknown): Doc[] {
  if (typeof spec !== 'string' || spec === '' || spec.startsWith('$') || spec.includes('.')) {
    throw badValue('$count must be a non-empty field name, not a path and not starting with $');
  }
  return [{ $group: { _id: null, [spec]: { $sum: 1 } } }, { $project: { _id: 0 } }];
}

/** A `$lookup` or `$unionWith` with its sub-pipeline prepared. */
function withSubPipeline(name: string, spec: unknown): Doc {
  if (!isPlainObject(spec) || spec.pipeline === undefined) return { [name]: spec };
  return { [name]: { ...spec, pipeline: preparePipeline(spec.pipeline) } };
}

function prepareStage(stage: unknown): Doc[] {
  if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
    throw commandError(40323, 'A pipeline stage specification object must contain exactly one field.');
  }
  const [name, spec] = Object.entries(stage)[0]!;
  if (!MONGODB_STAGES.has(name)) throw commandError(40324, `Unrecognized pipeline stage name: '${name}'`);
  if (!SUPPORTED_STAGES.has(name)) throw badValue(`${name} is not supported by the in-memory MongoDB`);
  switch (name) {
    case '$count':
      return desugarCount(spec);
    case '$group':
      checkGroup(spec);
      break;
    case '$limit':
      checkLimit(spec);
      break;
    case '$skip':
      checkSkip(spec);
      break;
    case '$unwind':
      checkUnwind(spec);
      break;
    case '$sort':
      if (!isPlainObject(spec) || Object.keys(spec).length === 0)
        throw commandError(15976, '$sort stage must have at least one sort key');
      parseSort(spec);
      break;
    case '$facet': {
      if (!isPlainObject(spec)) throw commandError(15955, '$facet must be an object');
      const facets: Doc = {};
      for (const [facet, pipeline] of Object.entries(spec)) facets[facet] = preparePipeline(pipeline);
      return [{ $facet: facets }];
    }
    case '$lookup':
    case '$unionWith':
      return [withSubPipeline(name, spec)];
    default:
      break;
  }
  return [stage];
}

/** Checks a pipeline (already normalized from the wire) and rewrites it into what mingo runs. */
export function preparePipeline(pipeline: unknown): Doc[] {
  if (!Array.isArray(pipeline)) throw commandError(14, "'pipeline' option must be specified as an array");
  return pipeline.flatMap(prepareStage);
}
