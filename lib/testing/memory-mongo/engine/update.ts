/**
 * Applies an update to a document: operator updates (through mingo's updater), replacement
 * documents and aggregation-pipeline updates; builds the document an upsert inserts.
 */
import { updateOne, update as applyOperators } from 'mingo';
import { badValue, commandError, CommandError, ErrorCode } from './command-error.js';
import { equalityConditions } from './filter.js';
import {
  applyNumericTypes,
  checkImmutableId,
  checkPaths,
  checkRename,
  checkTargets,
  resolvePositional,
  rewriteCurrentDate,
} from './update-rules.js';
import { carryHints, cloneValue, isPlainObject, keyOf, valueAtPath, type Collation, type Doc } from './values.js';

const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$push',
  '$pull',
  '$pullAll',
  '$addToSet',
  '$pop',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);
const PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** The kinds of update the `update` and `findAndModify` commands accept. */
export type UpdateSpec =
  /** `typed` is the update as decoded from the wire, whose numbers still say their BSON types. */
  | { kind: 'operators'; operators: Doc; typed?: Doc }
  | { kind: 'replacement'; document: Doc }
  | { kind: 'pipeline'; stages: Doc[] };

/** Classifies and validates an update argument. */
export function parseUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) {
    for (const stage of u) {
      const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
      if (!name || !PIPELINE_STAGES.has(name)) throw badValue(`Unsupported stage in update pipeline: ${String(name)}`);
    }
    return { kind: 'pipeline', stages: u as Doc[] };
  }
  if (!isPlainObject(u))
    throw commandError(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length > 0 && keys.every((k) => k.startsWith('$'))) {
    for (const op of keys) {
      if (!UPDATE_OPERATORS.has(op))
        throw commandError(
          ErrorCode.FailedToParse,
          `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
        );
      if (!isPlainObject(u[op]))
        throw commandError(
          ErrorCode.FailedToParse,
          `Modifiers operate on fields but we found type ${typeof u[op]} instead.`,
        );
    }
    checkPaths(u);
    checkRename(u.$rename);
    checkConflicts(u);
    return { kind: 'operators', operators: u };
  }
  if (keys.some((k) => k.startsWith('$'))) {
    throw commandError(
      ErrorCode.DollarPrefixedFieldName,
      `The dollar ($) prefixed field '${keys.find((k) => k.startsWith('$'))}' in a replacement document is not valid for storage.`,
    );
  }
  return { kind: 'replacement', document: u };
}

/** MongoDB refuses two operators touching the same path (or a path and its parent). */
function checkConflicts(operators: Doc): void {
  const seen: string[] = [];
  for (const [op, fields] of Object.entries(operators)) {
    for (const path of Object.keys(fields as Doc)) {
      const targets = op === '$rename' ? [path, String((fields as Doc)[path])] : [path];
      for (const target of targets) {
        const clash = seen.find((p) => p === target || p.startsWith(`${target}.`) || target.startsWith(`${p}.`));
        if (clash !== undefined) {
          throw commandError(
            ErrorCode.ConflictingUpdateOperators,
            `Updating the path '${target}' would create a conflict at '${clash}'`,
          );
        }
        seen.push(target);
      }
    }
  }
}

/** `$inc` and `$mul` on a value that is not a number is an error in MongoDB (mingo would skip it). */
function checkArithmeticTargets(doc: Doc, operators: Doc): void {
  for (const op of ['$inc', '$mul'] as const) {
    const fields = operators[op];
    if (!isPlainObject(fields)) continue;
    for (const [path, amount] of Object.entries(fields)) {
      if (typeof amount !== 'number')
        throw commandError(
          ErrorCode.TypeMismatch,
          `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${JSON.stringify(amount)}}`,
        );
      if (path.includes('$')) continue;
      const current = valueAtPath(doc, path);
      if (current !== undefined && typeof current !== 'number') {
        throw commandError(
          ErrorCode.TypeMismatch,
          `Cannot apply ${op} to a value of non-numeric type. {_id: ${JSON.stringify(doc._id)}} has the field '${path}' of non-numeric type ${typeof current}`,
        );
      }
    }
  }
}

/**
 * `$addToSet` as MongoDB does it: only values not already present are appended, duplicates already
 * in the array stay. (mingo de-duplicates the whole array and skips the update when the stored
 * array already held duplicates.) Positional paths are left to mingo.
 */
function rewriteAddToSet(doc: Doc, operators: Doc): void {
  const fields = operators.$addToSet;
  if (!isPlainObject(fields)) return;
  const kept: Doc = {};
  const push: Doc = {};
  for (const [path, spec] of Object.entries(fields)) {
    if (path.includes('$')) {
      kept[path] = spec;
      continue;
    }
    const values = isPlainObject(spec) && '$each' in spec ? spec.$each : [spec];
    if (!Array.isArray(values)) throw badValue('The argument to $each in $addToSet must be an array');
    const current = valueAtPath(doc, path);
    if (current !== undefined && !Array.isArray(current)) {
      throw badValue(
        `Cannot apply $addToSet to non-array field. Field named '${path}' has non-array type ${typeof current}`,
      );
    }
    const seen = new Set((current ?? []).map((v) => keyOf(v)));
    const added: unknown[] = [];
    for (const value of values) {
      const key = keyOf(value);
      if (!seen.has(key)) {
        seen.add(key);
        added.push(value);
      }
    }
    if (added.length > 0 || current === undefined) push[path] = { $each: added };
  }
  delete operators.$addToSet;
  if (Object.keys(kept).length > 0) operators.$addToSet = kept;
  if (Object.keys(push).length > 0) operators.$push = { ...(operators.$push as Doc | undefined), ...push };
}

/** The result of applying an update to one document. */
export interface UpdateOutcome {
  document: Doc;
  /** Paths the update changed; empty when the document is unchanged. */
  changed: string[];
}

/**
 * Applies `spec` to a copy of `doc`, which keeps the type hints of what it did not change.
 * `filter` and `collation` resolve the positional `$` operator; `inserting` is true for an
 * upsert, when `$setOnInsert` applies.
 */
export function applyUpdate(
  doc: Doc,
  spec: UpdateSpec,
  options: { filter: Doc; arrayFilters?: Doc[]; inserting: boolean; collation?: Collation | null },
): UpdateOutcome {
  try {
    if (spec.kind === 'replacement') {
      const document: Doc = { _id: doc._id, ...cloneValue(spec.document) };
      if (document._id === undefined) delete document._id;
      return { document, changed: keyOf(document) === keyOf(doc) ? [] : Object.keys({ ...doc, ...document }) };
    }
    const document = cloneValue(doc);
    if (spec.kind === 'pipeline') {
      const docs = [document];
      const result = updateOne(docs, {}, spec.stages as never, {});
      let updated = docs[0]!;
      // A pipeline that drops `_id` (say, with $replaceWith) keeps it, as MongoDB does.
      if (updated._id === undefined && doc._id !== undefined) updated = { _id: doc._id, ...updated };
      const changed = result.modifiedCount > 0 ? Object.keys({ ...doc, ...updated }) : [];
      carryHints(doc, updated, changed);
      return { document: updated, changed };
    }
    const operators: Doc = { ...spec.operators };
    if (operators.$setOnInsert) {
      if (options.inserting)
        operators.$set = { ...(operators.$set as Doc | undefined), ...(operators.$setOnInsert as Doc) };
      delete operators.$setOnInsert;
    }
    rewriteCurrentDate(operators);
    resolvePositional(document, operators, options.filter, options.collation ?? null);
    checkImmutableId(document, operators);
    checkTargets(document, operators);
    checkArithmeticTargets(document, operators);
    rewriteAddToSet(document, operators);
    if (Object.keys(operators).length === 0) return { document, changed: [] };
    // No condition: the document already matched, and mingo would re-test it with its own semantics.
    const changed = applyOperators(document, operators, options.arrayFilters, {}, { cloneMode: 'deep' });
    applyNumericTypes(doc, document, changed, spec.typed, options.inserting);
    return { document, changed };
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw badValue(err instanceof Error ? err.message : String(err));
  }
}

/** The document an upsert starts from: the filter's equality conditions on plain fields. */
export function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  for (const [path, values] of equalityConditions(filter)) {
    if (values.length !== 1 || (isPlainObject(filter[path]) && '$in' in (filter[path] as Doc))) continue;
    setPath(seed, path, cloneValue(values[0]));
  }
  return seed;
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(current[part])) current[part] = {};
    current = current[part] as Doc;
  }
  current[parts[parts.length - 1]!] = value;
}
