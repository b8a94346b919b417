import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

describe('REST queries: sub-queries, text, relative time, aggregate', () => {
  let t: TestBackend;
  const ids: Record<string, string> = {};
  const find = async (
    className: string,
    params: Record<string, unknown>,
    headers: Record<string, string> = appHeaders,
  ) => {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return t.http.get(`/parse/classes/${className}`).query(query).set(headers);
  };
  const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });

  before(async () => {
    t = await startTestBackend();
    for (const [name, country] of [
      ['ann', 'fr'],
      ['bob', 'uk'],
      ['cid', 'fr'],
    ] as const) {
      ids[name] = (
        await t.http
          .post('/parse/classes/Author')
          .set(appHeaders)
          .send({ name, country, hidden: name === 'cid' })
      ).body.objectId;
    }
    const posts = [
      {
        title: 'Coffee brewing guide',
        body: 'How to brew coffee at home: coffee, water, patience.',
        author: 'ann',
        stars: 5,
        ageDays: 1,
      },
      { title: 'Tea or coffee', body: 'A comparison of tea and coffee.', author: 'bob', stars: 3, ageDays: 10 },
      { title: 'Gardening', body: 'Tomatoes need sun.', author: 'cid', stars: 4, ageDays: 40 },
    ];
    for (const p of posts) {
      const when = new Date(Date.now() - p.ageDays * 86400000).toISOString();
      await t.http
        .post('/parse/classes/Post')
        .set(appHeaders)
        .send({
          title: p.title,
          body: p.body,
          stars: p.stars,
          author: pointer('Author', ids[p.author]!),
          publishedAt: { __type: 'Date', iso: when },
        })
        .expect(201);
    }
  });
  after(() => t.close());

  const titles = (res: { body: { results: { title: string }[] } }) => res.body.results.map((r) => r.title).sort();

  it('$inQuery and $notInQuery match pointers to the sub-query results', async () => {
    const inFrance = { className: 'Author', where: { country: 'fr' } };
    expect(titles(await find('Post', { where: { author: { $inQuery: inFrance } } }))).to.deep.equal([
      'Coffee brewing guide',
      'Gardening',
    ]);
    expect(titles(await find('Post', { where: { author: { $notInQuery: inFrance } } }))).to.deep.equal([
      'Tea or coffee',
    ]);
  });

  it('$select and $dontSelect match a key of the sub-query results', async () => {
    await t.http.post('/parse/classes/Favourite').set(appHeaders).send({ stars: 5 }).expect(201);
    const query = { query: { className: 'Favourite', where: {} }, key: 'stars' };
    expect(titles(await find('Post', { where: { stars: { $select: query } } }))).to.deep.equal([
      'Coffee brewing guide',
    ]);
    expect(titles(await find('Post', { where: { stars: { $dontSelect: query } } }))).to.deep.equal([
      'Gardening',
      'Tea or coffee',
    ]);
  });

  it('nests sub-queries inside $or', async () => {
    const res = await find('Post', {
      where: { $or: [{ author: { $inQuery: { className: 'Author', where: { name: 'bob' } } } }, { stars: 4 }] },
    });
    expect(titles(res)).to.deep.equal(['Gardening', 'Tea or coffee']);
  });

  it('$relativeTime compares dates with now', async () => {
    expect(
      titles(await find('Post', { where: { publishedAt: { $gt: { $relativeTime: '2 weeks ago' } } } })),
    ).to.deep.equal(['Coffee brewing guide', 'Tea or coffee']);
    expect(
      titles(
        await find('Post', {
          where: { publishedAt: { $lt: { $relativeTime: '3 days ago' }, $gt: { $relativeTime: '1 yr ago' } } },
        }),
      ),
    ).to.deep.equal(['Gardening', 'Tea or coffee']);
    expect(
      titles(await find('Post', { where: { publishedAt: { $lt: { $relativeTime: 'in 1 day' } } } })),
    ).to.have.length(3);
    for (const bad of [
      { $eq: { $relativeTime: 'now' } },
      { $lt: { $relativeTime: 'tomorrow' } },
      { $lt: { $relativeTime: '2 fortnights ago' } },
      { $lt: { $relativeTime: 'in 2 days ago' } },
    ]) {
      const res = await find('Post', { where: { publishedAt: bad } });
      expect(res.status, JSON.stringify(bad)).to.equal(400);
      expect(res.body.code, JSON.stringify(bad)).to.equal(107);
    }
  });

  it('$text searches a field, ordered by $score', async () => {
    const res = await find('Post', {
      where: { body: { $text: { $search: { $term: 'coffee' } } } },
      order: '$score',
      keys: '$score,title',
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.results.map((r: { title: string }) => r.title)).to.deep.equal([
      'Coffee brewing guide',
      'Tea or coffee',
    ]);
    expect(res.body.results[0].score).to.be.greaterThan(res.body.results[1].score);
    const bad = await find('Post', { where: { body: { $text: { $search: 'coffee' } } } });
    expect(bad.body.code).to.equal(107);
  });

  it('includes every pointer with includeAll', async () => {
    const res = await find('Post', { where: { stars: 5 }, includeAll: 'true' });
    expect(res.body.results[0].author).to.include({ __type: 'Object', className: 'Author', name: 'ann' });
  });

  it('redirects a relation query to the target class', async () => {
    const { body: list } = await t.http.post('/parse/classes/ReadingList').set(appHeaders).send({ name: 'mine' });
    await t.http
      .put(`/parse/classes/ReadingList/${list.objectId}`)
      .set(appHeaders)
      .send({
        authors: { __op: 'AddRelation', objects: [pointer('Author', ids.ann!), pointer('Author', ids.bob!)] },
      })
      .expect(200);
    const res = await find('ReadingList', {
      redirectClassNameForKey: 'authors',
      where: { $relatedTo: { object: pointer('ReadingList', list.objectId), key: 'authors' } },
    });
    expect(res.body.className).to.equal('Author');
    expect(res.body.results.map((r: { name: string }) => r.name).sort()).to.deep.equal(['ann', 'bob']);
  });

  it('matches relation fields through the join collection', async () => {
    const { body: shelf } = await t.http.post('/parse/classes/Shelf').set(appHeaders).send({ name: 'top' });
    await t.http.post('/parse/classes/Shelf').set(appHeaders).send({ name: 'bottom' }).expect(201);
    await t.http
      .put(`/parse/classes/Shelf/${shelf.objectId}`)
      .set(appHeaders)
      .send({
        holds: { __op: 'AddRelation', objects: [pointer('Author', ids.ann!)] },
      })
      .expect(200);
    const names = async (where: unknown) =>
      (await find('Shelf', { where })).body.results.map((r: { name: string }) => r.name).sort();
    expect(await names({ holds: pointer('Author', ids.ann!) })).to.deep.equal(['top']);
    expect(await names({ holds: { $in: [pointer('Author', ids.bob!), pointer('Author', ids.ann!)] } })).to.deep.equal([
      'top',
    ]);
    expect(await names({ holds: { $ne: pointer('Author', ids.ann!) } })).to.deep.equal(['bottom']);
    expect(await names({ holds: pointer('Author', ids.bob!) })).to.deep.equal([]);
  });

  it('matches an array of pointers by one pointer, and $all with regex atoms', async () => {
    await t.http
      .post('/parse/classes/Team')
      .set(appHeaders)
      .send({
        name: 'writers',
        members: [pointer('Author', ids.ann!), pointer('Author', ids.bob!)],
        tags: ['apple', 'banana'],
      })
      .expect(201);
    expect((await find('Team', { where: { members: pointer('Author', ids.bob!) } })).body.results).to.have.length(1);
    expect((await find('Team', { where: { members: pointer('Author', ids.cid!) } })).body.results).to.have.length(0);
    const startsWith = (prefix: string) => ({ $regex: `^\\Q${prefix}\\E` });
    expect(
      (await find('Team', { where: { tags: { $all: [startsWith('ap'), startsWith('ba')] } } })).body.results,
    ).to.have.length(1);
    expect(
      (await find('Team', { where: { tags: { $all: [startsWith('ap'), startsWith('ch')] } } })).body.results,
    ).to.have.length(0);
    const mixed = await find('Team', { where: { tags: { $all: [startsWith('ap'), 'banana'] } } });
    expect(mixed.body.code).to.equal(107);
  });

  it('refuses bad parameters and sub-queries with Parse codes', async () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ readPreference: 'FASTEST' }, 102],
      [{ hint: 5 }, 102],
      [{ where: { author: { $inQuery: { where: {} } } } }, 102],
      [{ where: { author: { $inQuery: { className: '9bad', where: {} } } } }, 103],
      [{ where: { stars: { $select: { query: { className: 'Favourite' }, key: 5 } } } }, 102],
      [{ where: { author: { $inQuery: { className: 'Author', where: { $where: 'x' } } } } }, 105],
      [{ explain: 'true' }, 102],
    ];
    for (const [params, code] of cases) {
      const res = await find('Post', params);
      expect(res.status, JSON.stringify(params)).to.equal(400);
      expect(res.body.code, JSON.stringify(params)).to.equal(code);
    }
  });

  it('bounds how deeply sub-queries nest', async () => {
    let where: Record<string, unknown> = { name: 'ann' };
    for (let i = 0; i < 15; i++) where = { author: { $inQuery: { className: 'Post', where } } };
    const res = await find('Post', { where });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal(102);
  });

  it('leaves out an included object that no longer exists, also from an array, as parse-server does', async () => {
    const gone = (await t.http.post('/parse/classes/Gone').set(appHeaders).send({ n: 1 }).expect(201)).body.objectId;
    const kept = (await t.http.post('/parse/classes/Gone').set(appHeaders).send({ n: 2 }).expect(201)).body.objectId;
    const holder = await t.http
      .post('/parse/classes/GoneHolder')
      .set(appHeaders)
      .send({ one: pointer('Gone', gone), many: [pointer('Gone', gone), pointer('Gone', kept)] })
      .expect(201);
    await t.http.delete(`/parse/classes/Gone/${gone}`).set(appHeaders).expect(200);
    const res = await t.http
      .get(`/parse/classes/GoneHolder/${holder.body.objectId}`)
      .query({ include: 'one,many' })
      .set(appHeaders)
      .expect(200);
    expect(res.body).to.not.have.property('one');
    expect(res.body.many.map((o: { objectId: string }) => o.objectId)).to.deep.equal([kept]);
  });

  describe('GET /aggregate', () => {
    const aggregate = (params: Record<string, unknown>, headers: Record<string, string> = masterHeaders) => {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) query[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return t.http.get('/parse/aggregate/Post').query(query).set(headers);
    };

    it('runs a pipeline with Parse field names', async () => {
      const res = await aggregate({
        pipeline: [
          { $match: { stars: { $gte: 4 } } },
          { $group: { _id: '$author', total: { $sum: '$stars' } } },
          { $sort: { total: -1 } },
        ],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.results).to.deep.equal([
        { objectId: ids.ann, total: 5 },
        { objectId: ids.cid, total: 4 },
      ]);
      const grouped = await aggregate({ pipeline: { group: { _id: null, n: { $sum: 1 } } } });
      expect(grouped.body.results).to.deep.equal([{ objectId: null, n: 3 }]);
      const projected = await aggregate({
        pipeline: [{ $sort: { createdAt: 1 } }, { $limit: 1 }, { $project: { title: 1, createdAt: 1 } }],
      });
      expect(projected.body.results[0].title).to.equal('Coffee brewing guide');
      expect(projected.body.results[0].createdAt).to.match(/^\d{4}-\d\d-\d\dT/);
    });

    it("reads stages given as parameters, parse-server's older form, and checks $group as it does", async () => {
      const res = await aggregate({ $group: { _id: '$stars', n: { $sum: 1 } }, $sort: { objectId: 1 }, $limit: 2 });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.results).to.deep.equal([
        { objectId: 3, n: 1 },
        { objectId: 4, n: 1 },
      ]);
      const cases: [Record<string, unknown>, string][] = [
        [{ limit: 2 }, "Invalid aggregate stage 'limit'."],
        [{ $group: { n: { $sum: 1 } } }, 'Invalid parameter for query: group. Missing key _id'],
        [{ $group: { objectId: '$stars' } }, "Cannot use 'objectId' in aggregation stage $group."],
      ];
      for (const [params, error] of cases)
        expect((await aggregate(params)).body, JSON.stringify(params)).to.deep.equal({ code: 102, error });
    });

    it('reports a group by an empty key as null, as parse-server does', async () => {
      for (const key of [{}, '', []]) {
        const res = await aggregate({ pipeline: [{ $group: { _id: key, n: { $sum: 1 } } }] });
        expect(res.body.results, JSON.stringify(key)).to.deep.equal([{ objectId: null, n: 3 }]);
      }
    });

    it('reads the SDK form of dates and pointers in $match, and $where as the filter of distinct', async () => {
      const yesterday = new Date(Date.now() - 86_400_000).toISOString();
      const recent = await aggregate({ pipeline: [{ $match: { createdAt: { $gt: yesterday } } }, { $count: 'n' }] });
      expect(recent.body.results).to.deep.equal([{ n: 3 }]);
      const byAuthor = await aggregate({ pipeline: [{ $match: { author: ids.ann } }, { $project: { title: 1 } }] });
      expect(byAuthor.body.results.map((r: { title: string }) => r.title)).to.deep.equal(['Coffee brewing guide']);
      const distinct = await aggregate({ distinct: 'stars', $where: { author: pointer('Author', ids.bob!) } });
      expect(distinct.body.results).to.deep.equal([3]);
    });

    it('answers distinct values', async () => {
      const res = await aggregate({ distinct: 'stars', where: { stars: { $lt: 5 } } });
      expect(res.body.results.sort()).to.deep.equal([3, 4]);
      const authors = await aggregate({ distinct: 'author' });
      expect(authors.body.results.map((p: { objectId: string }) => p.objectId).sort()).to.deep.equal(
        Object.values(ids).sort(),
      );
    });

    it('is master-only and refuses writing or unknown stages', async () => {
      expect((await aggregate({ pipeline: [] }, appHeaders)).status).to.equal(403);
      for (const pipeline of [
        [{ $out: 'Stolen' }],
        [{ $merge: { into: 'X' } }],
        [{ $bogus: {} }],
        [{ $group: { _id: { $function: { body: 'x', args: [], lang: 'js' } } } }],
        'nope',
      ]) {
        const res = await aggregate({ pipeline });
        expect(res.status, JSON.stringify(pipeline)).to.equal(400);
        expect(res.body.code, JSON.stringify(pipeline)).to.equal(102);
      }
    });
  });
});
