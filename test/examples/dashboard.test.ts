/**
 * examples/dashboard in a real browser: the official Parse Dashboard (from the tooling package),
 * mounted beside Plinth with default options, walked in headless Chromium as a person uses it —
 * the app list, the data browser (classes, columns, rows, cells, filters, permissions, protected
 * fields), Config, Jobs, the API console, Webhooks, Logs and Push — each change checked through
 * REST. Any answer of 400 or more, and any page error, fails the walk. Skipped, with a message,
 * when Chromium is absent (outside CI; `.ci/run` installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bounded, chromiumMissing, freePort, launchChromium, stopProcess } from '../support/browser.js';
import { ensureTools, TOOLS_INSTALL_TIMEOUT_MS } from '../support/tools.js';

const script = fileURLToPath(new URL('../../examples/dashboard/server.js', import.meta.url));
const APP_ID = 'dashboard-walk';
const MASTER_KEY = 'dashboard-walk-master-key';
const PASSWORD = 'walk-password';
const APP = 'Plinth demo';
const CLASS = 'Game';
/** Bound on every single wait in the browser. */
const STEP_MS = 8000;
/**
 * A page error of the Dashboard's own, thrown by its Protected Fields dialog whatever the server (the
 * same against parse-server 9.9): an IntersectionObserver callback reads a scroll hint that is not
 * rendered.
 */
const DASHBOARD_OWN_ERRORS = [/reading 'toggleActive'/];

describe('examples/dashboard: the Parse Dashboard in headless Chromium (npm run example:dashboard)', function () {
  this.timeout(TOOLS_INSTALL_TIMEOUT_MS);
  let child: ChildProcess | undefined;
  let output = '';
  let cwd: string | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let app: string;
  /** Answers of 400 or more and page errors, over the whole walk. */
  const problems: string[] = [];

  const rest = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${origin}/parse/${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'X-Parse-Application-Id': APP_ID,
        'X-Parse-Master-Key': MASTER_KEY,
        'Content-Type': 'application/json',
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Opens a cell's editor with a double click, types `value` into it and saves it. */
  const editCell = async (cell: ReturnType<Page['locator']>, value: string): Promise<void> => {
    await cell.dblclick();
    const editor = page.locator('textarea:focus, input:focus');
    await editor.waitFor();
    await editor.fill(value);
    await editor.press('Enter');
  };
  const titles = async (): Promise<string[]> =>
    ((await rest(`classes/${CLASS}?order=title`)).body.results as { title: string }[]).map((o) => o.title);
  /** Waits until `check` holds (what the page did has reached the server). */
  const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + STEP_MS;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`not within ${STEP_MS} ms: ${what} (titles now: ${(await titles().catch(() => [])).join()})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      process.stdout.write(`  (skipped: ${missing})\n`);
      this.skip();
    }
    ensureTools();
    cwd = mkdtempSync(`${tmpdir()}/plinth-dashboard-`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      APP_ID,
      MASTER_KEY,
      DASHBOARD_PASSWORD: PASSWORD,
    };
    delete env.MONGODB_URI;
    child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    origin = `http://127.0.0.1:${port}`;
    app = `${origin}/dashboard/apps/${encodeURIComponent(APP)}/`;
    for (let i = 0; i < 200 && !output.includes('Parse Dashboard on') && child.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(output, 'the example did not start').to.include(`Parse Dashboard on ${origin}/dashboard`);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // The Dashboard links fonts and images elsewhere: the walk stays on 127.0.0.1.
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    context.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    context.on('weberror', (e) => {
      const message = e.error().message;
      if (!DASHBOARD_OWN_ERRORS.some((known) => known.test(message))) problems.push(`page error: ${message}`);
    });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
  });

  after(async () => {
    if (browser) await bounded(browser.close(), 5000);
    if (child) await stopProcess(child);
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  afterEach(function () {
    // Every step must have gone without a refused request or a page error.
    expect(problems, this.currentTest?.title).to.deep.equal([]);
  });

  it('logs in and reaches the app (the master key goes in the request body)', async () => {
    await page.goto(`${origin}/dashboard/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(/\/dashboard\/apps/), page.click('[type=submit]')]);
    await page.getByText(APP).first().waitFor();
    expect(await page.getByText('Server not reachable').count()).to.equal(0);
  });

  it('lists _User and _Role, creates a class, adds a column, adds rows and edits a cell', async () => {
    await page.goto(`${app}browser`);
    await page.getByRole('link', { name: '_User', exact: true }).waitFor();
    await page.getByRole('link', { name: '_Role', exact: true }).waitFor();
    expect(await page.getByText('Feature unavailable').count()).to.equal(0);
    await page.getByText('Create a class').click();
    await page.locator('input[placeholder^="Give it a good name"]').fill(CLASS);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(new RegExp(`browser/${CLASS}`));
    await page.getByText('Add a new column').click();
    await page.locator('input[placeholder^="Give it a good name"]').fill('title');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await eventually(
      async () => ((await rest(`schemas/${CLASS}`)).body.fields as Record<string, unknown>)?.title !== undefined,
      'the column',
    );
    for (const title of ['Chess', 'Poker']) {
      await page.getByText('Add Row').first().click();
      // The new row's cells: objectId, createdAt, updatedAt, ACL, then title.
      await editCell(page.locator('text=(undefined)').nth(3), title);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await eventually(async () => (await titles()).includes(title), `the row ${title}`);
    }
    // The table shows both rows as saved (no new row pending) before a cell is edited.
    await page.getByText('Poker', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).waitFor({ state: 'detached' });
    await editCell(page.getByText('Chess', { exact: true }), 'Go');
    await eventually(async () => (await titles()).join() === 'Go,Poker', 'the edited cell');
  });

  it('filters rows, and deletes one', async () => {
    const filters = JSON.stringify([{ field: 'title', constraint: 'eq', compareTo: 'Poker' }]);
    await page.goto(`${app}browser/${CLASS}?filters=${encodeURIComponent(filters)}`);
    await page.getByText('Poker', { exact: true }).waitFor();
    expect(await page.getByText('Go', { exact: true }).count()).to.equal(0);
    await page.goto(`${app}browser/${CLASS}`);
    const row = page.locator('div', { has: page.getByText('Go', { exact: true }) }).last();
    await row.locator('input[type=checkbox]').check();
    await page.getByText('Edit', { exact: true }).click();
    await page.getByText('Delete this row').click();
    const confirm = page.getByRole('button', { name: 'Delete', exact: true });
    if (await confirm.count()) await confirm.click();
    await eventually(async () => (await titles()).join() === 'Poker', 'the deleted row');
  });

  it('changes and saves class-level permissions and protected fields', async () => {
    await page.goto(`${app}browser/${CLASS}`);
    await page.getByText('Security', { exact: true }).click();
    await page.getByText('Class Level Permissions').click();
    const publicRow = page.getByText('Public', { exact: true }).locator('xpath=ancestor::div[1]');
    await publicRow.getByText('Add field', { exact: true }).click();
    await page.getByRole('button', { name: 'Save CLP' }).click();
    await eventually(async () => {
      const clp = (await rest(`schemas/${CLASS}`)).body.classLevelPermissions as Record<string, unknown>;
      return JSON.stringify(clp.addField) === '{}' && JSON.stringify(clp.find) === '{"*":true}';
    }, 'the class-level permissions');
    await page.getByText('Security', { exact: true }).click();
    await page.getByText('Protected Fields').click();
    await page.getByText('All fields allowed. Click to protect.').click();
    await page.locator('div[value="title"]').click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => {
      const clp = (await rest(`schemas/${CLASS}`)).body.classLevelPermissions as Record<string, unknown>;
      return JSON.stringify(clp.protectedFields) === '{"*":["title"]}';
    }, 'the protected fields');
  });

  it('creates and edits a Config parameter', async () => {
    await page.goto(`${app}config`);
    await page.getByText('Create a parameter').first().click();
    const fields = page.locator('textarea, input[type=text]');
    await fields.nth(0).fill('welcome');
    await fields.nth(1).fill('hello');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await eventually(
      async () =>
        (await rest('config')).body.params !== undefined &&
        JSON.stringify((await rest('config')).body.params) === '{"welcome":"hello"}',
      'the parameter',
    );
    await page.getByText('hello', { exact: true }).click();
    await page.locator('textarea').first().fill('bonjour');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(
      async () => JSON.stringify((await rest('config')).body.params) === '{"welcome":"bonjour"}',
      'the edited parameter',
    );
  });

  it('runs a job registered in code from the Jobs page', async () => {
    await page.goto(`${app}jobs`);
    await page.getByText('countUsers', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Run...' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await eventually(async () => {
      const statuses = (await rest('classes/_JobStatus')).body.results as { jobName: string; status: string }[];
      return statuses.some((s) => s.jobName === 'countUsers' && s.status === 'succeeded');
    }, 'the job run');
    await page.goto(`${app}jobs/status`);
    await page.getByText('countUsers').first().waitFor();
  });

  it('sends a query from the API console', async () => {
    await page.goto(`${app}api_console`);
    await page.locator('input[placeholder="classes/_User"]').fill(`classes/${CLASS}`);
    await page.getByRole('button', { name: 'Send Query' }).click();
    // Without the master key the console is a client: the row comes back without its protected title.
    const [poker] = (await rest(`classes/${CLASS}`)).body.results as { objectId: string }[];
    await page.getByText(`"${poker!.objectId}"`).first().waitFor({ state: 'attached' });
    expect(await page.getByText('"Poker"').count()).to.equal(0);
  });

  it('shows the Webhooks, Logs and Push pages', async () => {
    for (const [path, text] of [
      ['webhooks', 'Webhooks'],
      ['logs/info', 'Logs'],
      ['push/activity', 'Push'],
      ['push/audiences', 'Push'],
    ] as const) {
      await page.goto(`${app}${path}`);
      await page.getByText(text).first().waitFor();
      await page.waitForLoadState('networkidle');
    }
  });

  it('deletes all rows, then the class', async () => {
    await page.goto(`${app}browser/${CLASS}`);
    await page.getByText('Edit', { exact: true }).click();
    await page.getByText('Delete all rows').click();
    await page.locator('input[type=text]').last().fill('delete all');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await eventually(async () => (await titles()).length === 0, 'the rows gone');
    await page.getByText('Edit', { exact: true }).click();
    await page.getByText('Delete this class').click();
    await page.locator('input[type=text]').last().fill(CLASS);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await eventually(async () => (await rest(`schemas/${CLASS}`)).status === 400, 'the class gone');
  });
});
