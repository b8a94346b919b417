import { expect } from 'chai';
import type { Collection, Db, Filter } from 'mongodb';
import { connectFreshDatabase, expectServerError, idsOf, type TestDoc } from '../support/mongo.js';

/** GeoJSON point. */
function point(lng: number, lat: number): { type: 'Point'; coordinates: [number, number] } {
  return { type: 'Point', coordinates: [lng, lat] };
}

/** GeoJSON polygon from one closed ring. */
function polygon(ring: [number, number][]): { type: 'Polygon'; coordinates: [number, number][][] } {
  return { type: 'Polygon', coordinates: [ring] };
}

describe('in-memory MongoDB: geospatial queries', () => {
  let db: Db;
  let close: () => Promise<void>;
  /** Legacy [x, y] pairs, with a 2d index. */
  let flat: Collection<TestDoc>;
  /** GeoJSON points of cities, with a 2dsphere index. */
  let cities: Collection<TestDoc>;

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
    flat = db.collection<TestDoc>('flat');
    await flat.insertMany([
      { _id: 1, loc: [0, 0] },
      { _id: 2, loc: [1, 1] },
      { _id: 3, loc: [3, 4] },
      { _id: 4, loc: [-2, 0] },
      { _id: 5, loc: [10, 10] },
      { _id: 6, name: 'nowhere' },
    ]);
    await flat.createIndex({ loc: '2d' });
    cities = db.collection<TestDoc>('cities');
    await cities.createIndex({ loc: '2dsphere' });
    await cities.insertMany([
      { _id: 'paris', loc: point(2.3522, 48.8566) },
      { _id: 'london', loc: point(-0.1276, 51.5072) },
      { _id: 'berlin', loc: point(13.405, 52.52) },
      { _id: 'madrid', loc: point(-3.7038, 40.4168) },
      { _id: 'new-york', loc: point(-74.006, 40.7128) },
    ]);
  });
  after(() => close());

  async function found(coll: Collection<TestDoc>, filter: Filter<TestDoc>): Promise<unknown[]> {
    return idsOf(await coll.find(filter).toArray());
  }

  async function foundSorted(coll: Collection<TestDoc>, filter: Filter<TestDoc>): Promise<unknown[]> {
    return idsOf(await coll.find(filter).sort({ _id: 1 }).toArray());
  }

  describe('$near and $nearSphere', () => {
    it('$near on legacy pairs returns points nearest first, within $maxDistance (flat units)', async () => {
      expect(await found(flat, { loc: { $near: [0, 0] } })).to.deep.equal([1, 2, 4, 3, 5]);
      expect(await found(flat, { loc: { $near: [0, 0], $maxDistance: 2.5 } })).to.deep.equal([1, 2, 4]);
      expect(await found(flat, { loc: { $near: [9, 9] } })).to.deep.equal([5, 3, 2, 1, 4]);
    });

    it('$near honours limit and other conditions', async () => {
      expect(
        idsOf(
          await flat
            .find({ loc: { $near: [0, 0] } })
            .limit(2)
            .toArray(),
        ),
      ).to.deep.equal([1, 2]);
      expect(await found(flat, { loc: { $near: [0, 0] }, _id: { $gt: 2 } })).to.deep.equal([4, 3, 5]);
    });

    it('$nearSphere on legacy [lng, lat] pairs takes $maxDistance in radians', async () => {
      const sphere = db.collection<TestDoc>('sphere_pairs');
      await sphere.createIndex({ loc: '2d' });
      await sphere.insertMany([
        { _id: 'origin', loc: [0, 0] },
        { _id: 'one-east', loc: [1, 0] },
        { _id: 'two-north', loc: [0, 2] },
        { _id: 'far', loc: [5, 5] },
      ]);
      // One degree is 0.01745 radians: 0.04 radians reaches two degrees but not five.
      expect(await found(sphere, { loc: { $nearSphere: [0, 0], $maxDistance: 0.04 } })).to.deep.equal([
        'origin',
        'one-east',
        'two-north',
      ]);
      expect(await found(sphere, { loc: { $nearSphere: [5, 4] } })).to.deep.equal([
        'far',
        'two-north',
        'one-east',
        'origin',
      ]);
    });

    it('$near with a GeoJSON point measures meters, nearest first, within $maxDistance and beyond $minDistance', async () => {
      const paris = point(2.3522, 48.8566);
      expect(await found(cities, { loc: { $near: { $geometry: paris, $maxDistance: 1_000_000 } } })).to.deep.equal([
        'paris',
        'london',
        'berlin',
      ]);
      expect(
        await found(cities, { loc: { $near: { $geometry: paris, $minDistance: 500_000, $maxDistance: 1_100_000 } } }),
      ).to.deep.equal(['berlin', 'madrid']);
      expect(
        await found(cities, { loc: { $nearSphere: { $geometry: point(-73, 41), $maxDistance: 200_000 } } }),
      ).to.deep.equal(['new-york']);
      // From (-80, 40): London 6018 km, Madrid 6267 km, Paris 6296 km, Berlin 6808 km.
      expect(await found(cities, { loc: { $near: { $geometry: point(-80, 40) } } })).to.deep.equal([
        'new-york',
        'london',
        'madrid',
        'paris',
        'berlin',
      ]);
    });

    it('refuses $near and $nearSphere without a geospatial index (291)', async () => {
      const unindexed = db.collection<TestDoc>('no_geo_index');
      await unindexed.insertOne({ loc: [0, 0] });
      await expectServerError(unindexed.find({ loc: { $near: [0, 0] } }).toArray(), 291);
      await expectServerError(unindexed.find({ loc: { $nearSphere: { $geometry: point(0, 0) } } }).toArray(), 291);
    });
  });

  describe('$geoWithin', () => {
    it('$box, $polygon and $center use flat geometry on legacy pairs', async () => {
      expect(
        await foundSorted(flat, {
          loc: {
            $geoWithin: {
              $box: [
                [-0.5, -0.5],
                [1.5, 1.5],
              ],
            },
          },
        }),
      ).to.deep.equal([1, 2]);
      const ring = [
        [-0.5, -0.5],
        [3.5, -0.5],
        [3.5, 4.5],
        [-0.5, 4.5],
      ];
      expect(await foundSorted(flat, { loc: { $geoWithin: { $polygon: ring } } })).to.deep.equal([1, 2, 3]);
      expect(await foundSorted(flat, { loc: { $geoWithin: { $center: [[0, 0], 2.5] } } })).to.deep.equal([1, 2, 4]);
    });

    it('$centerSphere takes a radius in radians', async () => {
      // London is about 344 km from Paris, Berlin 878 km: 0.1 radians is about 638 km.
      expect(
        await foundSorted(cities, { loc: { $geoWithin: { $centerSphere: [[2.3522, 48.8566], 0.1] } } }),
      ).to.deep.equal(['london', 'paris']);
    });

    it('$geometry Polygon finds the GeoJSON points inside it', async () => {
      const europe = polygon([
        [-5, 42],
        [15, 42],
        [15, 55],
        [-5, 55],
        [-5, 42],
      ]);
      expect(await foundSorted(cities, { loc: { $geoWithin: { $geometry: europe } } })).to.deep.equal([
        'berlin',
        'london',
        'paris',
      ]);
    });

    it('combines with other conditions', async () => {
      const europe = polygon([
        [-5, 42],
        [15, 42],
        [15, 55],
        [-5, 55],
        [-5, 42],
      ]);
      const filter = {
        $or: [{ loc: { $geoWithin: { $geometry: europe } } }, { _id: 'madrid' }],
        _id: { $ne: 'berlin' },
      } as Filter<TestDoc>;
      expect(await foundSorted(cities, filter)).to.deep.equal(['london', 'madrid', 'paris']);
    });

    it('refuses a malformed shape (BadValue 2)', async () => {
      await expectServerError(flat.find({ loc: { $geoWithin: { $box: 5 } } }).toArray(), 2);
      await expectServerError(flat.find({ loc: { $geoWithin: { $center: [[0, 0]] } } }).toArray(), 2);
    });
  });

  describe('$geoIntersects', () => {
    it('finds the stored polygons that contain a point', async () => {
      const zones = db.collection<TestDoc>('zones');
      await zones.createIndex({ area: '2dsphere' });
      await zones.insertMany([
        {
          _id: 'a',
          area: polygon([
            [0, 0],
            [10, 0],
            [10, 10],
            [0, 10],
            [0, 0],
          ]),
        },
        {
          _id: 'b',
          area: polygon([
            [5, 5],
            [15, 5],
            [15, 15],
            [5, 15],
            [5, 5],
          ]),
        },
        {
          _id: 'c',
          area: polygon([
            [20, 20],
            [30, 20],
            [30, 30],
            [20, 30],
            [20, 20],
          ]),
        },
      ]);
      expect(await foundSorted(zones, { area: { $geoIntersects: { $geometry: point(7, 7) } } })).to.deep.equal([
        'a',
        'b',
      ]);
      expect(await foundSorted(zones, { area: { $geoIntersects: { $geometry: point(2, 2) } } })).to.deep.equal(['a']);
      expect(await foundSorted(zones, { area: { $geoIntersects: { $geometry: point(-30, -30) } } })).to.deep.equal([]);
    });
  });

  describe('2dsphere indexes', () => {
    it('refuses a document whose indexed field is not valid geometry (16755)', async () => {
      await expectServerError(cities.insertOne({ _id: 'bad', loc: point(200, 100) }), 16755);
      await expectServerError(cities.insertOne({ _id: 'bad', loc: { type: 'Point', coordinates: 'here' } }), 16755);
      await expectServerError(cities.updateOne({ _id: 'paris' }, { $set: { loc: 'somewhere' } }), 16755);
      await cities.insertOne({ _id: 'no-location' });
      expect(await cities.countDocuments()).to.equal(6);
      await cities.deleteOne({ _id: 'no-location' });
    });
  });
});
