// The host of a parse-server app, ported: its options object and its cloud/main.js are parse-server's.
// Where it said `const api = new ParseServer(config); app.use('/parse', api.app)`, it now mounts
// `createBackend(config)`. Run it from this folder: `node index.js` (MONGODB_URI, or the built-in
// in-memory MongoDB).
import express from 'express';
import { createBackend } from 'plinth';
import { startMemoryMongo } from 'plinth/testing';

const port = Number(process.env.PORT ?? 1338);
const mongo = process.env.MONGODB_URI ? undefined : await startMemoryMongo();

const config = {
  appId: process.env.APP_ID ?? 'movies',
  masterKey: process.env.MASTER_KEY ?? 'movies-master-key',
  databaseURI: process.env.MONGODB_URI ?? mongo.uriFor('movies'),
  serverURL: `http://127.0.0.1:${port}/parse`,
  cloud: './cloud/main.js',
  allowClientClassCreation: true,
};

const backend = createBackend(config);
const app = express();
app.use('/parse', backend);
await backend.ready();
const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`movies app on ${config.serverURL}\n`);
});

const shutdown = () => {
  server.close();
  void backend
    .close()
    .then(() => mongo?.stop())
    .then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
