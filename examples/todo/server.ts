/**
 * A browser app on Plinth: an Express host app that mounts Plinth at /parse and serves a todo
 * page (plain HTML and the Parse JS SDK's browser build) at /. People sign up or log in, keep
 * todos that only they can see, and attach images to them. Runs on MONGODB_URI or, when it is not
 * set, on the built-in in-memory MongoDB (kept across restarts in .memory-mongo/).
 *
 *   npm run example:todo     then open the URL it prints
 */
import express from 'express';
import { BackendError, ErrorCode, createBackend } from 'plinth';
import { startMemoryMongo } from 'plinth/testing';
import { todoPage } from './page.js';

const port = Number(process.env.PORT ?? 3000);
const host = '127.0.0.1';
const appId = process.env.APP_ID ?? 'todo';
const masterKey = process.env.MASTER_KEY ?? 'todo-master-key';

const mongo = await startMemoryMongo({ persist: '.memory-mongo/todo.bson' });
const origin = `http://${host}:${port}`;
const serverURL = `${origin}/parse`;
const backend = createBackend({
  appId,
  masterKey,
  databaseURI: mongo.uriFor('plinth-todo'),
  serverURL,
  // Clients may not create classes (the default): the Todo class is defined below, at startup.
  // Logged-in users may upload files (the default); this app only takes images.
  fileUpload: { fileExtensions: ['png', 'jpg', 'jpeg', 'gif', 'webp'] },
  maxUploadSize: '5mb',
  // Every open page of a user shows their changes as they happen (LiveQuery).
  liveQuery: { classNames: ['Todo'] },
});

// Titles are trimmed and must not be empty; a new todo belongs to its creator and only they may
// read or change it, whatever ACL the client sent.
backend.cloud.beforeSave('Todo', (request) => {
  const todo = request.object;
  if (todo.isNew() || todo.dirty('title')) {
    const given: unknown = todo.get('title');
    const title = typeof given === 'string' ? given.trim() : '';
    if (!title) throw new BackendError(ErrorCode.VALIDATION_ERROR, 'A todo needs a title');
    todo.set('title', title);
  }
  if (todo.isNew() && request.user?.id) {
    todo.set('owner', request.user);
    todo.setACL({ [request.user.id]: { read: true, write: true } });
  }
});

/** Defines the Todo class through /schemas with the master key, unless it exists already. */
async function defineTodoClass(): Promise<void> {
  const headers = {
    'X-Parse-Application-Id': appId,
    'X-Parse-Master-Key': masterKey,
    'Content-Type': 'application/json',
  };
  const url = `${serverURL}/schemas/Todo`;
  if ((await fetch(url, { headers })).ok) return;
  const signedIn = { requiresAuthentication: true };
  const created = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      fields: {
        title: { type: 'String' },
        done: { type: 'Boolean' },
        owner: { type: 'Pointer', targetClass: '_User' },
        image: { type: 'File' },
      },
      // Only logged-in users reach the class at all, and nobody but the master key adds fields;
      // which todos each user sees is up to the ACLs.
      classLevelPermissions: {
        find: signedIn,
        count: signedIn,
        get: signedIn,
        create: signedIn,
        update: signedIn,
        delete: signedIn,
        addField: {},
      },
    }),
  });
  if (!created.ok) throw new Error(`Could not define the Todo class: ${created.status} ${await created.text()}`);
}

const app = express();
app.use('/parse', backend);
app.use(todoPage({ appId, serverURL }));
await backend.ready();
const server = app.listen(port, host);
await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
backend.liveQuery.attach(server);
await defineTodoClass();
process.stdout.write(`Todo app on ${origin}/ (Plinth at ${serverURL}, MongoDB: ${mongo.engine})\n`);

// The host app owns its process: stop cleanly (and save the in-memory data) on Ctrl-C.
const shutdown = (): void => {
  // The backend first: it ends LiveQuery's WebSockets, which the HTTP server would wait for.
  void backend
    .close()
    .then(() => new Promise((resolve) => server.close(resolve)))
    .then(() => mongo.stop())
    .then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
