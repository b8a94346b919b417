import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

const point = (latitude: number, longitude: number) => ({ __type: 'GeoPoint', latitude, longitude });

describe('REST queries', () => {
  let t: TestBackend;
  const find = async (className: string, where: unknown, extra: Record<string, unknown> = {}) => {
    const res = await t.http
      .get(`/parse/classes/${className}`)
      .query({ where: JSON.stringify(where), ...extra })
      .set(appHeaders);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.results as Record<string, unknown>[];
  };
  const names = (results: Record<string, unknown>[]) => results.map((r) => r.name);

  before(async () => {
    t = await startTestBackend();
    const places = [
      {
        name: 'paris',
        location: point(48.8566, 2.3522),
        tags: ['fr', 'eu'],
        pop: 2.1,
        founded: { __type: 'Date', iso: '0250-01-01T00:00:00.000Z' },
      },
      {
        name: 'london',
        location: point(51.5074, -0.1278),
        tags: ['uk', 'eu'],
        pop: 8.9,
        founded: { __type: 'Date', iso: '0047-01-01T00:00:00.000Z' },
      },
      {
        name: 'berlin',
        location: point(52.52, 13.405),
        tags: ['de', 'eu'],
        pop: 3.6,
        founded: { __type: 'Date', iso: '1237-01-01T00:00:00.000Z' },
      },
      {
        name: 'tokyo',
        location: point(35.6762, 139.6503),
        tags: ['jp'],
        pop: 14,
        founded: { __type: 'Date', iso: '1457-01-01T00:00:00.000Z' },
      },
    ];
    for (const place of places) await t.http.post('/parse/classes/City').set(appHeaders).send(place).expect(201);
    await t.http
      .post('/parse/classes/Zone')
      .set(appHeaders)
      .send({
        name: 'square',
        area: {
          __type: 'Polygon',
          coordinates: [
            [0, 0],
            [0, 10],
            [10, 10],
            [10, 0],
          ],
        },
      })
      .expect(201);
  });
  after(() => t.close());

  it('compares numbers, dates, strings and arrays', async () => {
    expect(names(await find('City', { pop: { $gt: 3, $lte: 9 } }, { order: 'pop' }))).to.deep.equal([
      'berlin',
      'london',
    ]);
    expect(
      names(
        await find(
          'City',
          { founded: { $lt: { __type: 'Date', iso: '1000-01-01T00:00:00.000Z' } } },
          { order: 'name' },
        ),
      ),
    ).to.deep.equal(['london', 'paris']);
    expect(names(await find('City', { tags: 'eu' }, { order: '-name' }))).to.deep.equal(['paris', 'london', 'berlin']);
    expect(names(await find('City', { tags: { $all: ['eu', 'uk'] } }))).to.deep.equal(['london']);
    expect(names(await find('City', { tags: { $containedBy: ['eu', 'fr', 'de'] } }, { order: 'name' }))).to.deep.equal([
      'berlin',
      'paris',
    ]);
    expect(names(await find('City', { name: { $in: ['tokyo', 'rome'] } }))).to.deep.equal(['tokyo']);
    expect(names(await find('City', { name: { $regex: '^B', $options: 'i' } }))).to.deep.equal(['berlin']);
    expect(
      names(await find('City', { $or: [{ name: 'paris' }, { pop: { $gt: 10 } }] }, { order: 'name' })),
    ).to.deep.equal(['paris', 'tokyo']);
    expect(names(await find('City', { createdAt: { $exists: true }, nothing: { $exists: false } }))).to.have.length(4);
  });

  it('finds by distance with $nearSphere, nearest first, bounded by $maxDistanceIn*', async () => {
    const near = await find('City', { location: { $nearSphere: point(48.85, 2.35) } });
    expect(names(near)).to.deep.equal(['paris', 'london', 'berlin', 'tokyo']);
    expect(
      names(await find('City', { location: { $nearSphere: point(48.85, 2.35), $maxDistanceInKilometers: 500 } })),
    ).to.deep.equal(['paris', 'london']);
    expect(
      names(await find('City', { location: { $nearSphere: point(48.85, 2.35), $maxDistanceInMiles: 10 } })),
    ).to.deep.equal(['paris']);
    expect(
      names(await find('City', { location: { $nearSphere: point(48.85, 2.35), $maxDistanceInRadians: 0.2 } })),
    ).to.deep.equal(['paris', 'london', 'berlin']);
  });

  it('finds within a box, a polygon and a sphere, and polygons containing a point', async () => {
    expect(
      names(await find('City', { location: { $within: { $box: [point(45, -5), point(53, 5)] } } }, { order: 'name' })),
    ).to.deep.equal(['london', 'paris']);
    const polygon = [point(45, -5), point(55, -5), point(55, 20), point(45, 20)];
    expect(
      names(await find('City', { location: { $geoWithin: { $polygon: polygon } } }, { order: 'name' })),
    ).to.deep.equal(['berlin', 'london', 'paris']);
    expect(
      names(await find('City', { location: { $geoWithin: { $centerSphere: [point(35, 139), 0.05] } } })),
    ).to.deep.equal(['tokyo']);
    expect(names(await find('Zone', { area: { $geoIntersects: { $point: point(5, 5) } } }))).to.deep.equal(['square']);
    expect(await find('Zone', { area: { $geoIntersects: { $point: point(20, 20) } } })).to.deep.equal([]);
  });

  it('refuses malformed geo operands with 107', async () => {
    const bad: unknown[] = [
      { location: { $nearSphere: { latitude: 1 } } },
      { location: { $nearSphere: point(1, 1), $maxDistanceInKilometers: 'far' } },
      { location: { $within: { $box: [point(1, 1)] } } },
      { location: { $geoWithin: { $polygon: [point(1, 1), point(2, 2)] } } },
      { location: { $geoWithin: { $centerSphere: [point(1, 1), -1] } } },
      { location: { $geoWithin: { $where: 'x' } } },
      { area: { $geoIntersects: { $point: point(100, 0) } } },
    ];
    for (const where of bad) {
      const res = await t.http
        .get('/parse/classes/City')
        .query({ where: JSON.stringify(where) })
        .set(appHeaders);
      expect(res.status, JSON.stringify(where)).to.equal(400);
      expect(res.body.code, JSON.stringify(where)).to.equal(107);
    }
  });

  it('follows relations with $relatedTo', async () => {
    const { body: list } = await t.http.post('/parse/classes/Trip').set(appHeaders).send({ name: 'europe' });
    const cities = await find('City', { tags: 'eu' });
    await t.http
      .put(`/parse/classes/Trip/${list.objectId}`)
      .set(appHeaders)
      .send({
        stops: {
          __op: 'AddRelation',
          objects: cities.slice(0, 2).map((c) => ({ __type: 'Pointer', className: 'City', objectId: c.objectId })),
        },
      })
      .expect(200);
    const related = await find('City', {
      $relatedTo: { object: { __type: 'Pointer', className: 'Trip', objectId: list.objectId }, key: 'stops' },
    });
    expect(related.map((r) => r.objectId).sort()).to.deep.equal(
      cities
        .slice(0, 2)
        .map((c) => c.objectId)
        .sort(),
    );
    const trip = await t.http.get(`/parse/classes/Trip/${list.objectId}`).set(masterHeaders);
    expect(trip.body.stops).to.deep.equal({ __type: 'Relation', className: 'City' });
  });
});
