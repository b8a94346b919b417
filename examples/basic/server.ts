/**
 * The demo host app: an Express server that mounts Plinth at /parse, on MONGODB_URI or, when it is
 * not set, on the built-in in-memory MongoDB (kept across restarts in .memory-mongo/).
 *
 *   npm start            then try the curl commands it prints
 */
import express from 'express';
import { BackendError, ErrorCode, createBackend } from 'plinth';
import { startMemoryMongo } from 'plinth/testing';

const port = Number(process.env.PORT ?? 1337);
const host = '127.0.0.1';
const appId = process.env.APP_ID ?? 'demo';
const masterKey = process.env.MASTER_KEY ?? 'demo-master-key';

const mongo = await startMemoryMongo({ persist: '.memory-mongo/demo.bson' });
const serverURL = `http://${host}:${port}/parse`;
const backend = createBackend({
  appId,
  masterKey,
  databaseURI: mongo.uriFor('plinth-demo'),
  serverURL,
  allowClientClassCreation: true,
});

// The README's hook: orders cannot have a negative total; new items make an order pending.
backend.cloud.beforeSave('Order', (request) => {
  const order = request.object;
  if ((order.get('total') as number) < 0) {
    throw new BackendError(ErrorCode.VALIDATION_ERROR, 'total cannot be negative');
  }
  order.set('status', order.dirty('items') ? 'pending' : order.get('status'));
});

const app = express();
app.use('/parse', backend);
await backend.ready();
const server = app.listen(port, host, () => {
  const lines = [
    `Plinth demo on ${serverURL} (MongoDB: ${mongo.engine})`,
    '',
    'Create an order:',
    `  curl -X POST -H "X-Parse-Application-Id: ${appId}" -H "Content-Type: application/json" \\`,
    `    -d '{"total": 42, "items": ["book"]}' ${serverURL}/classes/Order`,
    '',
    'List orders:',
    `  curl -H "X-Parse-Application-Id: ${appId}" ${serverURL}/classes/Order`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
});

// The host app owns its process: stop cleanly (and save the in-memory data) on Ctrl-C.
const shutdown = (): void => {
  server.close();
  void backend
    .close()
    .then(() => mongo.stop())
    .then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
