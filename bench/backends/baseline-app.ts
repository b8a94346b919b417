/**
 * The floor: a minimal Express app doing the benchmark's operations with the plain `mongodb`
 * driver on the same documents — no permissions, no schema, no hooks framework. What it costs is
 * what any backend on this stack must at least spend.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express, { type Request, type Response } from 'express';
import type { Db, Document, Sort } from 'mongodb';

type Json = Record<string, unknown>;

function newId(): string {
  return randomBytes(8).toString('base64url').slice(0, 10);
}

/** A stored document in REST form (pointers as Parse pointers, dates as ISO strings). */
function toRest(doc: Document): Json {
  const out: Json = { objectId: doc._id };
  for (const [key, value] of Object.entries(doc)) {
    if (key === '_id' || key === '_rperm' || key === '_wperm' || key === '_acl') continue;
    if (key === '_created_at') out.createdAt = (value as Date).toISOString();
    else if (key === '_updated_at') out.updatedAt = (value as Date).toISOString();
    else if (key.startsWith('_p_')) {
      const [className, objectId] = String(value).split('$');
      out[key.slice(3)] = { __type: 'Pointer', className, objectId };
    } else if (!key.startsWith('_')) out[key] = value;
  }
  return out;
}

function toStored(body: Json, now: Date): Document {
  return { ...body, _updated_at: now };
}

/** The trivial beforeSave of the hook scenario, as a plain function call. */
function beforeSave(object: Json): void {
  object.checked = true;
}

export function baselineApp(db: Db): express.Express {
  const app = express();
  // As lean as Express gets: no ETag hashing of every response (Plinth does not compute them either).
  app.set('etag', false);
  app.use(express.json());

  async function sessionUser(req: Request): Promise<boolean> {
    const token = req.get('x-parse-session-token');
    if (!token) return true;
    return (await db.collection('_Session').findOne({ _session_token: token })) !== null;
  }

  async function create(className: string, body: Json): Promise<Json> {
    const now = new Date();
    const _id = newId();
    if (className === 'HookedItem') beforeSave(body);
    await db.collection(className).insertOne({ _id, ...toStored(body, now), _created_at: now } as Document);
    return { objectId: _id, createdAt: now.toISOString(), ...(className === 'HookedItem' ? { checked: true } : {}) };
  }

  app.post('/parse/classes/:className', async (req: Request, res: Response) => {
    res.status(201).json(await create(String(req.params.className), req.body as Json));
  });

  app.get('/parse/classes/:className/:objectId', async (req: Request, res: Response) => {
    if (!(await sessionUser(req))) return void res.status(400).json({ code: 209, error: 'Invalid session token' });
    const doc = await db
      .collection(String(req.params.className))
      .findOne({ _id: String(req.params.objectId) } as Document);
    if (!doc) return void res.status(404).json({ code: 101, error: 'Object not found.' });
    res.json(toRest(doc));
  });

  app.get('/parse/classes/:className', async (req: Request, res: Response) => {
    const where = typeof req.query.where === 'string' ? (JSON.parse(req.query.where) as Document) : {};
    const order = typeof req.query.order === 'string' ? req.query.order : undefined;
    const sort: Sort | undefined = order ? { [order.replace(/^-/, '')]: order.startsWith('-') ? -1 : 1 } : undefined;
    const limit = Number(req.query.limit ?? 100);
    const docs = await db.collection(String(req.params.className)).find(where, { sort, limit }).toArray();
    const results = docs.map(toRest);
    if (req.query.include === 'owner') {
      const ids = [...new Set(docs.map((d) => String(d._p_owner).split('$')[1]))];
      const owners = new Map(
        (
          await db
            .collection('BenchOwner')
            .find({ _id: { $in: ids } } as Document)
            .toArray()
        ).map((o) => [o._id, toRest(o)]),
      );
      for (const result of results) {
        const pointer = result.owner as Json | undefined;
        const owner = pointer && owners.get(pointer.objectId as never);
        if (owner) result.owner = { __type: 'Object', className: 'BenchOwner', ...owner };
      }
    }
    res.json({ results });
  });

  app.put('/parse/classes/:className/:objectId', async (req: Request, res: Response) => {
    const now = new Date();
    const updated = await db
      .collection(String(req.params.className))
      .updateOne({ _id: String(req.params.objectId) } as Document, { $set: toStored(req.body as Json, now) });
    if (updated.matchedCount === 0) return void res.status(404).json({ code: 101, error: 'Object not found.' });
    res.json({ updatedAt: now.toISOString() });
  });

  app.post('/parse/batch', async (req: Request, res: Response) => {
    const now = new Date();
    const requests = (req.body as { requests: { path: string; body: Json }[] }).requests;
    const docs = requests.map((r) => ({ _id: newId(), ...toStored(r.body, now), _created_at: now }));
    await db.collection(requests[0]!.path.split('/').pop()!).insertMany(docs as Document[]);
    res.json(docs.map((d) => ({ success: { objectId: d._id, createdAt: now.toISOString() } })));
  });

  async function startSession(userId: string): Promise<string> {
    const token = `r:${randomBytes(16).toString('hex')}`;
    const now = new Date();
    await db.collection('_Session').insertOne({
      _id: newId(),
      _session_token: token,
      _p_user: `_User$${userId}`,
      _created_at: now,
      _updated_at: now,
    } as Document);
    return token;
  }

  app.post('/parse/users', async (req: Request, res: Response) => {
    const { username, password } = req.body as { username: string; password: string };
    const now = new Date();
    const _id = newId();
    await db.collection('_User').insertOne({
      _id,
      username,
      _hashed_password: await bcrypt.hash(password, 10),
      _created_at: now,
      _updated_at: now,
    } as Document);
    res.status(201).json({ objectId: _id, createdAt: now.toISOString(), sessionToken: await startSession(_id) });
  });

  app.post('/parse/login', async (req: Request, res: Response) => {
    const { username, password } = req.body as { username: string; password: string };
    const user = await db.collection('_User').findOne({ username });
    if (!user || !(await bcrypt.compare(password, String(user._hashed_password))))
      return void res.status(404).json({ code: 101, error: 'Invalid username/password.' });
    res.json({ ...toRest(user), sessionToken: await startSession(String(user._id)) });
  });

  return app;
}
