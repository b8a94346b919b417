/**
 * Geospatial matching, which mingo does not do: `$geoWithin`/`$within` and `$geoIntersects` as query
 * operators (so they compose inside `$and`/`$or`), and the distance maths behind `$near`/`$nearSphere`.
 * Shapes given as legacy coordinates use flat geometry, `$centerSphere` and GeoJSON use the sphere,
 * as MongoDB does.
 */
import { badValue } from './command-error.js';
import { isPlainObject, valuesAtPath, type Doc } from './values.js';

/** A longitude/latitude (or x/y) pair. */
export type Point = [number, number];

/** MongoDB's Earth radius for GeoJSON distances, in meters. */
export const EARTH_RADIUS_METERS = 6378100;

function isNumberPair(value: unknown): value is Point {
  return Array.isArray(value) && value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number';
}

/** Reads a point stored as a legacy pair, an embedded `{x, y}`-like document or a GeoJSON Point. */
export function readPoint(value: unknown): Point | null {
  if (isNumberPair(value)) return [value[0], value[1]];
  if (isPlainObject(value)) {
    if (value.type === 'Point' && isNumberPair(value.coordinates)) return [value.coordinates[0], value.coordinates[1]];
    const coords = Object.values(value);
    if (coords.length >= 2 && typeof coords[0] === 'number' && typeof coords[1] === 'number')
      return [coords[0], coords[1]];
  }
  return null;
}

function toRadians(deg: number): number {
  return (deg * Math.PI) / 180;
}

/** Great-circle distance between two lng/lat points, in radians. */
export function sphericalDistance(a: Point, b: Point): number {
  const dLat = toRadians(b[1] - a[1]);
  const dLng = toRadians(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a[1])) * Math.cos(toRadians(b[1])) * Math.sin(dLng / 2) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Flat (Euclidean) distance, for legacy `$near`. */
export function planarDistance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function pointInRing(p: Point, ring: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (onSegment(p, ring[i]!, ring[j]!)) return true;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(p: Point, a: Point, b: Point): boolean {
  const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
  if (Math.abs(cross) > 1e-12) return false;
  return (
    p[0] >= Math.min(a[0], b[0]) &&
    p[0] <= Math.max(a[0], b[0]) &&
    p[1] >= Math.min(a[1], b[1]) &&
    p[1] <= Math.max(a[1], b[1])
  );
}

function readRing(value: unknown): Point[] {
  if (!Array.isArray(value) || value.length < 3 || !value.every(isNumberPair)) {
    throw badValue('a polygon needs at least three [x, y] points');
  }
  return value.map((p: Point) => [p[0], p[1]] as Point);
}

/** Point-in-polygon for a GeoJSON Polygon (outer ring minus holes). */
function pointInPolygonCoordinates(p: Point, rings: unknown): boolean {
  if (!Array.isArray(rings) || rings.length === 0) throw badValue('Polygon coordinates must be an array of rings');
  const [outer, ...holes] = rings.map(readRing);
  return pointInRing(p, outer!) && !holes.some((h) => pointInRing(p, h));
}

/** Builds the test "is this point inside the shape" for a `$geoWithin` operand. */
function withinShape(shape: unknown): (p: Point) => boolean {
  if (!isPlainObject(shape)) throw badValue('$geoWithin needs a shape document');
  if ('$box' in shape) {
    const box = shape.$box;
    if (!Array.isArray(box) || box.length !== 2 || !box.every(isNumberPair))
      throw badValue('$box needs two [x, y] corners');
    const [[x1, y1], [x2, y2]] = box as [Point, Point];
    return (p) =>
      p[0] >= Math.min(x1, x2) && p[0] <= Math.max(x1, x2) && p[1] >= Math.min(y1, y2) && p[1] <= Math.max(y1, y2);
  }
  if ('$polygon' in shape) {
    const ring = readRing(shape.$polygon);
    return (p) => pointInRing(p, ring);
  }
  if ('$center' in shape || '$centerSphere' in shape) {
    const spherical = '$centerSphere' in shape;
    const arg = spherical ? shape.$centerSphere : shape.$center;
    if (!Array.isArray(arg) || arg.length !== 2 || !isNumberPair(arg[0]) || typeof arg[1] !== 'number') {
      throw badValue(`${spherical ? '$centerSphere' : '$center'} needs [[x, y], radius]`);
    }
    const center = arg[0] as Point;
    const radius = arg[1] as number;
    return spherical ? (p) => sphericalDistance(center, p) <= radius : (p) => planarDistance(center, p) <= radius;
  }
  if ('$geometry' in shape) {
    const geometry = shape.$geometry;
    if (!isPlainObject(geometry)) throw badValue('$geometry must be a GeoJSON object');
    if (geometry.type === 'Polygon') return (p) => pointInPolygonCoordinates(p, geometry.coordinates);
    if (geometry.type === 'MultiPolygon' && Array.isArray(geometry.coordinates)) {
      const polygons = geometry.coordinates as unknown[];
      return (p) => polygons.some((rings) => pointInPolygonCoordinates(p, rings));
    }
    throw badValue(
      `$geoWithin $geometry type ${String(geometry.type)} is not supported (Polygon and MultiPolygon are)`,
    );
  }
  throw badValue(`unknown $geoWithin shape: ${Object.keys(shape).join(', ')}`);
}

type QueryOperatorFn = (selector: string, value: unknown) => (doc: Doc) => boolean;

const geoWithin: QueryOperatorFn = (selector, value) => {
  const inside = withinShape(value);
  return (doc) =>
    valuesAtPath(doc, selector).some((v) => {
      const p = readPoint(v);
      return p !== null && inside(p);
    });
};

const geoIntersects: QueryOperatorFn = (selector, value) => {
  const geometry = isPlainObject(value) ? value.$geometry : undefined;
  const point = readPoint(geometry);
  if (!isPlainObject(geometry) || geometry.type !== 'Point' || !point) {
    throw badValue('$geoIntersects supports a GeoJSON Point $geometry');
  }
  return (doc) =>
    valuesAtPath(doc, selector).some((v) => {
      if (!isPlainObject(v)) return false;
      if (v.type === 'Polygon') return pointInPolygonCoordinates(point, v.coordinates);
      if (v.type === 'Point') {
        const p = readPoint(v);
        return p !== null && p[0] === point[0] && p[1] === point[1];
      }
      return false;
    });
};

/** The geo query operators, in the form mingo's Context takes. */
export const geoQueryOperators = { $geoWithin: geoWithin, $within: geoWithin, $geoIntersects: geoIntersects };

/** A `$near`/`$nearSphere` condition, taken out of the filter because it also orders the results. */
export interface NearCondition {
  path: string;
  /** Distance between the query point and a stored point, in the condition's units. */
  distance: (p: Point) => number;
  point: Point;
  max: number;
  min: number;
  /** True for a GeoJSON point (distances in meters), which only a 2dsphere index can serve. */
  geoJson: boolean;
}

/** Parses `{ $near | $nearSphere: ..., $maxDistance?, $minDistance? }` for the field `path`. */
export function parseNear(path: string, condition: Doc): NearCondition {
  const spherical = '$nearSphere' in condition;
  const operand = spherical ? condition.$nearSphere : condition.$near;
  let point: Point | null;
  let geoJson = false;
  let max = typeof condition.$maxDistance === 'number' ? condition.$maxDistance : Infinity;
  let min = typeof condition.$minDistance === 'number' ? condition.$minDistance : 0;
  if (isPlainObject(operand) && '$geometry' in operand) {
    geoJson = true;
    point = readPoint(operand.$geometry);
    if (typeof operand.$maxDistance === 'number') max = operand.$maxDistance;
    if (typeof operand.$minDistance === 'number') min = operand.$minDistance;
  } else {
    point = readPoint(operand);
  }
  if (!point) throw badValue(`${spherical ? '$nearSphere' : '$near'} needs a point`);
  const from = point;
  let distance: (p: Point) => number;
  if (geoJson) distance = (p) => sphericalDistance(from, p) * EARTH_RADIUS_METERS;
  else if (spherical) distance = (p) => sphericalDistance(from, p);
  else distance = (p) => planarDistance(from, p);
  return { path, distance, point, max, min, geoJson };
}

function isPosition(value: unknown): boolean {
  return isNumberPair(value) && value[0] >= -180 && value[0] <= 180 && value[1] >= -90 && value[1] <= 90;
}

function isRing(value: unknown): boolean {
  if (!Array.isArray(value) || value.length < 4 || !value.every(isPosition)) return false;
  const first = value[0] as Point;
  const last = value[value.length - 1] as Point;
  return first[0] === last[0] && first[1] === last[1];
}

function isLine(value: unknown): boolean {
  return Array.isArray(value) && value.length >= 2 && value.every(isPosition);
}

/** Whether a GeoJSON object is well formed, with coordinates on the globe. */
function isGeoJson(value: Doc): boolean {
  const c = value.coordinates;
  const all = (items: unknown, test: (v: unknown) => boolean): boolean =>
    Array.isArray(items) && items.length > 0 && items.every(test);
  switch (value.type) {
    case 'Point':
      return isPosition(c);
    case 'LineString':
      return isLine(c);
    case 'Polygon':
      return all(c, isRing);
    case 'MultiPoint':
      return all(c, isPosition);
    case 'MultiLineString':
      return all(c, isLine);
    case 'MultiPolygon':
      return all(c, (rings) => all(rings, isRing));
    case 'GeometryCollection':
      return all(value.geometries, (g) => isPlainObject(g) && isGeoJson(g));
    default:
      return false;
  }
}

/**
 * Whether a 2dsphere index can hold a field's value: nothing (documents without it are skipped),
 * GeoJSON, a legacy [lng, lat] pair, or an array of those.
 */
export function isSphereIndexable(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (isNumberPair(value) && value.length === 2) return isPosition(value);
  if (Array.isArray(value))
    return value.length > 0 && value.every((v) => v !== null && v !== undefined && isSphereIndexable(v));
  if (!isPlainObject(value)) return false;
  if ('type' in value) return isGeoJson(value);
  return isPosition(readPoint(value));
}
