/**
 * The Parse Dashboard on Plinth: one Express host app mounts Plinth at /parse and the official
 * `parse-dashboard` at /dashboard, behind a dashboard user and password. The dashboard talks to
 * Plinth as it talks to parse-server: its serverURL, app id and master key. A job and a cloud
 * function are registered in code so that the Jobs and API console pages have something to show.
 * Runs on MONGODB_URI or, when it is not set, on the built-in in-memory MongoDB.
 *
 *   npm run example:dashboard     then open the URL it prints (user `admin`, password from DASHBOARD_PASSWORD)
 *
 * `parse-dashboard` is the app's dependency, not Plinth's: in an app, `npm install parse-dashboard`.
 * In this repository it comes with the tooling package (`npm ci --prefix tools`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createBackend } from 'plinth';
import { startMemoryMongo } from 'plinth/testing';

type DashboardFactory = new (
  options: {
    apps: { serverURL: string; appId: string; masterKey: string; appName: string }[];
    users: { user: string; pass: string }[];
    useEncryptedPasswords?: boolean;
  },
  settings: { allowInsecureHTTP: boolean; cookieSessionSecret: string },
) => express.Handler;

/** `parse-dashboard` from the app's own dependencies, else from this repository's tooling package. */
function loadDashboard(): DashboardFactory {
  const here = createRequire(import.meta.url);
  try {
    return here('parse-dashboard') as DashboardFactory;
  } catch {
    const tools = fileURLToPath(new URL('../../../tools/package.json', import.meta.url));
    if (!existsSync(tools)) throw new Error('parse-dashboard is not installed: npm install parse-dashboard');
    try {
      return createRequire(tools)('parse-dashboard') as DashboardFactory;
    } catch {
      throw new Error('parse-dashboard is not installed: npm ci --prefix tools (or npm install parse-dashboard)');
    }
  }
}

const port = Number(process.env.PORT ?? 4040);
const host = '127.0.0.1';
const appId = process.env.APP_ID ?? 'dashboard-demo';
const masterKey = process.env.MASTER_KEY ?? 'dashboard-master-key';
const password = process.env.DASHBOARD_PASSWORD ?? 'change-me';
const origin = `http://${host}:${port}`;
const serverURL = `${origin}/parse`;

const mongo = process.env.MONGODB_URI ? undefined : await startMemoryMongo();
const backend = createBackend({
  appId,
  masterKey,
  databaseURI: process.env.MONGODB_URI ?? mongo!.uriFor('plinth-dashboard'),
  serverURL,
});

backend.cloud.define('hello', (request) => `Hello, ${String(request.params.name ?? 'world')}!`);
backend.cloud.job('countUsers', async (request) => {
  const users = await backend.data.count('_User', {}, { useMasterKey: true });
  await request.message(`${users} users`);
  return { users };
});

const ParseDashboard = loadDashboard();
const dashboard = new ParseDashboard(
  {
    apps: [{ serverURL, appId, masterKey, appName: 'Plinth demo' }],
    users: [{ user: 'admin', pass: password }],
  },
  // Plain HTTP on 127.0.0.1 only; behind HTTPS in production.
  { allowInsecureHTTP: true, cookieSessionSecret: process.env.COOKIE_SECRET ?? 'dashboard-example-secret' },
);

const app = express();
app.use('/parse', backend);
app.use('/dashboard', dashboard);
app.get('/', (_req, res) => res.redirect('/dashboard'));

const server = app.listen(port, host, () => {
  console.log(`Parse Dashboard on ${origin}/dashboard (Plinth at ${serverURL}; user admin)`);
});

async function stop(): Promise<void> {
  server.closeAllConnections();
  await backend.close();
  server.close();
  await mongo?.stop();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
