/**
 * The screenshots of docs/getting-started.md's dashboard section: starts examples/dashboard on a
 * free port, adds a little data through REST, and photographs the main pages in headless Chromium
 * into docs/images/. Run by `npm run docs:screenshots`, never by the tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bounded, chromiumPath, freePort, launchChromium } from '../../test/support/browser.js';
import { ensureTools } from '../../test/support/tools.js';

const APP_ID = 'dashboard-demo';
const MASTER_KEY = 'screenshots-master-key';
const PASSWORD = 'screenshots';
const images = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
const script = fileURLToPath(new URL('server.js', import.meta.url));

ensureTools();
const port = await freePort();
const cwd = mkdtempSync(`${tmpdir()}/plinth-screenshots-`);
const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), APP_ID, MASTER_KEY, DASHBOARD_PASSWORD: PASSWORD };
delete env.MONGODB_URI;
const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  child.stdout!.on('data', (d: Buffer) => d.toString().includes('Parse Dashboard on') && resolve());
  child.once('exit', () => reject(new Error('examples/dashboard stopped')));
});
const origin = `http://127.0.0.1:${port}`;
const headers = {
  'X-Parse-Application-Id': APP_ID,
  'X-Parse-Master-Key': MASTER_KEY,
  'Content-Type': 'application/json',
};
for (const [title, players] of [
  ['Chess', 2],
  ['Poker', 6],
  ['Go', 2],
] as const)
  await fetch(`${origin}/parse/classes/Game`, { method: 'POST', headers, body: JSON.stringify({ title, players }) });
await fetch(`${origin}/parse/config`, {
  method: 'PUT',
  headers,
  body: JSON.stringify({ params: { welcome: 'Hello from Plinth', maxPlayers: 6 } }),
});

console.log(`Chromium: ${chromiumPath}`);
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  const page = await context.newPage();
  await page.goto(`${origin}/dashboard/login`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(/\/dashboard\/apps/), page.click('[type=submit]')]);
  const app = `${origin}/dashboard/apps/${encodeURIComponent('Plinth demo')}/`;
  for (const [path, name] of [
    ['browser/Game', 'dashboard-browser'],
    ['jobs', 'dashboard-jobs'],
    ['config', 'dashboard-config'],
  ] as const) {
    await page.goto(`${app}${path}`);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${images}${name}.png` });
    console.log(`docs/images/${name}.png`);
  }
} finally {
  await bounded(browser.close(), 5000);
  child.kill('SIGINT');
  rmSync(cwd, { recursive: true, force: true });
}
