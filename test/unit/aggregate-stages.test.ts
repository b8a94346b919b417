import { expect } from 'chai';
import { BackendError } from '../../lib/errors/backend-error.js';
import { parseAggregateParams } from '../../lib/query/aggregate-params.js';
import { pipelineCaller, type PipelineCaller } from '../../lib/query/aggregate-stages.js';
import { readOnlyView, withReadOnlyView } from '../../lib/query/read-only-view.js';
import { classSchema } from '../../lib/schema/class-schema.js';

type Json = Record<string, unknown>;

const parse = (pipeline: unknown, caller: PipelineCaller) =>
  parseAggregateParams({ pipeline: JSON.stringify(pipeline) }, caller);

function expectCode(run: () => unknown, code: number, label = ''): void {
  expect(run, label).to.throw(BackendError).with.property('code', code);
}

describe('aggregate stages (lib/query/aggregate-stages.ts)', () => {
  it('lets the full master key read other classes at any depth, by valid class names only', () => {
    const lookup = { $lookup: { from: '_User', localField: 'owner', foreignField: '_id', as: 'u' } };
    expect(() =>
      parse(
        [lookup, { $unionWith: 'Doc' }, { $facet: { a: [{ $unionWith: { coll: 'Doc', pipeline: [lookup] } }] } }],
        'master',
      ),
    ).to.not.throw();
    expectCode(() => parse([{ $lookup: { from: 'system.users', pipeline: [], as: 'u' } }], 'master'), 103);
    expectCode(() => parse([{ $unionWith: '_SCHEMA' }], 'master'), 103);
    // mingo (the built-in MongoDB) would take an array as inline documents; MongoDB wants a name.
    expectCode(() => parse([{ $lookup: { from: [{ a: 1 }], as: 'u' } }], 'master'), 102);
    expectCode(
      () =>
        parse([{ $graphLookup: { startWith: '$a', connectFromField: 'a', connectToField: 'b', as: 'g' } }], 'master'),
      102,
    );
  });

  it('refuses unknown, writing and JavaScript stages at every depth (a write is 119 for the read-only key)', () => {
    const stages: [Json, number][] = [
      [{ $collStats: {} }, 102],
      [{ $out: 'X' }, 119],
      [{ $merge: { into: 'X' } }, 119],
      [{ $match: { $where: 'true' } }, 102],
      [{ $addFields: { a: { $function: {} } } }, 102],
    ];
    for (const [stage, readOnlyCode] of stages) {
      expectCode(
        () => parse([{ $facet: { a: [{ $lookup: { from: 'Doc', pipeline: [stage], as: 'x' } }] } }], 'master'),
        102,
        JSON.stringify(stage),
      );
      expectCode(
        () => parse([{ $facet: { a: [{ $facet: { b: [stage] } }] } }], 'readOnly'),
        readOnlyCode,
        JSON.stringify(stage),
      );
    }
  });

  it('refuses the read-only key outright when allowAggregationForReadOnlyMasterKey is off', () => {
    expect(pipelineCaller(false, false)).to.equal('master');
    expect(pipelineCaller(true, true)).to.equal('readOnly');
    expectCode(() => pipelineCaller(true, false), 119);
  });
});

describe('the read-only view (lib/query/read-only-view.ts)', () => {
  const schema = classSchema(
    '_Session',
    {
      user: { type: 'Pointer', targetClass: '_User' },
      sessionToken: { type: 'String' },
      expiresAt: { type: 'Date' },
      friends: { type: 'Relation', targetClass: '_User' },
    },
    undefined,
  );

  it('keeps the declared fields, without ACL, relations and secrets', () => {
    expect(readOnlyView(schema)).to.deep.equal({
      $project: { objectId: 1, createdAt: 1, updatedAt: 1, user: 1, expiresAt: 1 },
    });
  });

  it('goes after the leading filter stages, so that $text stays first and $match uses indexes', () => {
    const pipeline: Json[] = [
      { $match: { $text: { $search: { $term: 'x' } } } },
      { $sort: { n: 1 } },
      { $limit: 5 },
      { $group: { _id: null } },
      { $match: {} },
    ];
    const names = withReadOnlyView(pipeline, schema).map((stage) => Object.keys(stage)[0]);
    expect(names).to.deep.equal(['$match', '$sort', '$limit', '$project', '$group', '$match']);
    expect(withReadOnlyView([{ $facet: {} }], schema)[0]).to.deep.equal(readOnlyView(schema));
  });
});
