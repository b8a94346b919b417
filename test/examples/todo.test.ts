/**
 * examples/todo in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) goes through the app's whole story, on the app's own origin and from a second
 * origin, and saves the screenshot the docs show. Skipped, with a message, when Chromium is absent
 * (outside CI; `.ci/run` installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { todoPage } from '../../examples/todo/page.js';
import { pngImage } from './png.js';
import { bounded, chromiumMissing, freePort, launchChromium, stopProcess } from '../support/browser.js';

const script = fileURLToPath(new URL('../../examples/todo/server.js', import.meta.url));
const screenshotPath = fileURLToPath(new URL('../../../docs/images/todo.png', import.meta.url));
const APP_ID = 'todo';
/** Bound on every single wait in the browser. */
const STEP_MS = 5000;
/** The browser window: small, so that the screenshot stays small. */
const VIEWPORT = { width: 560, height: 460 };

/** What the functions run in the page use of the DOM (the tests compile without the DOM library). */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly hidden: boolean;
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  querySelector(selector: string): PageElement | null;
  /** Images only. */
  readonly src: string;
  readonly complete: boolean;
  readonly naturalWidth: number;
}
declare const document: { readonly body: PageElement; querySelectorAll(selector: string): Iterable<PageElement> };
declare const window: { Parse: { User: { current(): { id: string; getSessionToken(): string } } } };

interface Item {
  id: string;
  title: string;
  done: boolean;
  image: string | null;
}

/** The todos on the page, as shown. */
function items(page: Page): Promise<Item[]> {
  return page.$$eval('#list li', (lis: PageElement[]) =>
    lis.map((li) => {
      const img = li.querySelector('.image');
      return {
        id: li.dataset.id ?? '',
        title: li.querySelector('.title')?.textContent ?? '',
        done: li.classList.contains('is-done'),
        image: img && !img.hidden ? img.src : null,
      };
    }),
  );
}

/** Does something that starts a page action, then waits until the page has finished it. */
async function act(page: Page, start: () => Promise<unknown>): Promise<void> {
  await start();
  await page.waitForFunction(() => document.body.dataset.state === 'idle', undefined, { timeout: STEP_MS });
}

async function errorText(page: Page): Promise<string | null> {
  return page.$eval('#error', (el: PageElement) => (el.hidden ? null : el.textContent));
}

/** Opens the page and waits for its first render. */
async function open(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.goto(url, { timeout: STEP_MS });
  await page.waitForFunction(() => document.body.dataset.state === 'idle', undefined, { timeout: STEP_MS });
  return page;
}

async function signUpOrLogIn(
  page: Page,
  button: '#signup' | '#login',
  username: string,
  password: string,
): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await act(page, () => page.click(button));
  expect(await errorText(page)).to.equal(null);
  expect(await page.textContent('#who')).to.equal(username);
}

async function addTodo(page: Page, title: string): Promise<void> {
  await page.fill('#title', title);
  await act(page, () => page.click('#add'));
}

/** Waits until every shown image has loaded with real pixels; returns their natural widths. */
async function loadedImages(page: Page): Promise<number[]> {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#list .image:not([hidden])')].every((img) => img.complete && img.naturalWidth > 0),
    undefined,
    { timeout: STEP_MS },
  );
  return page.$$eval('#list .image:not([hidden])', (imgs: PageElement[]) => imgs.map((img) => img.naturalWidth));
}

/** The page's current user, as the SDK keeps it. */
function currentUser(page: Page): Promise<{ id: string; sessionToken: string }> {
  return page.evaluate(() => {
    const user = window.Parse.User.current();
    return { id: user.id, sessionToken: user.getSessionToken() };
  });
}

describe('examples/todo in headless Chromium (npm run example:todo)', function () {
  this.timeout(20000);
  let child: ChildProcess | undefined;
  let output = '';
  let cwd: string | undefined;
  let secondOrigin: Server | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let appURL: string;
  let serverURL: string;
  let otherURL: string;
  /** Uncaught page errors and CORS complaints, from every page. */
  const pageProblems: string[] = [];
  const aliceTodos: string[] = [];

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      process.stdout.write(`  (skipped: ${missing})\n`);
      this.skip();
    }
    cwd = mkdtempSync(`${tmpdir()}/plinth-todo-`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.MONGODB_URI;
    delete env.APP_ID;
    delete env.MASTER_KEY;
    child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    appURL = `http://127.0.0.1:${port}/`;
    serverURL = `http://127.0.0.1:${port}/parse`;
    for (let i = 0; i < 100 && !output.includes('Todo app on') && child.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(output, 'the example did not start').to.include(`Todo app on ${appURL} (Plinth at ${serverURL}`);

    // The same page from another origin, pointed at the example's backend.
    const other = express().use(todoPage({ appId: APP_ID, serverURL }));
    secondOrigin = other.listen(0, '127.0.0.1');
    await new Promise((resolve) => secondOrigin!.once('listening', resolve));
    otherURL = `http://127.0.0.1:${(secondOrigin.address() as AddressInfo).port}/`;

    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT });
    context.on('weberror', (e) => pageProblems.push(`page error: ${e.error().message}`));
    context.on('console', (m) => {
      if (/CORS|Access-Control/i.test(m.text())) pageProblems.push(`console: ${m.text()}`);
    });
  });

  after(async () => {
    if (browser) await bounded(browser.close(), 5000);
    if (secondOrigin) {
      secondOrigin.closeAllConnections();
      await bounded(new Promise((resolve) => secondOrigin!.close(() => resolve(undefined))), 2000);
    }
    if (child) await stopProcess(child);
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('lets alice sign up and add todos; the beforeSave hook trims titles and its refusal is shown', async () => {
    const page = await open(context, appURL);
    expect(await page.isVisible('#auth')).to.equal(true);
    await signUpOrLogIn(page, '#signup', 'alice', 'alice-password');
    expect(await items(page)).to.deep.equal([]);

    await addTodo(page, '   Water the plants  ');
    await addTodo(page, 'Call the bank');
    await addTodo(page, 'Buy bread');
    expect((await items(page)).map((t) => t.title)).to.deep.equal(['Water the plants', 'Call the bank', 'Buy bread']);
    expect(await page.inputValue('#title')).to.equal('');

    await addTodo(page, '    ');
    expect(await errorText(page)).to.equal('A todo needs a title');
    expect(await items(page)).to.have.length(3);
    aliceTodos.push(...(await items(page)).map((t) => t.id));

    // As stored: owned by alice, readable and writable by her alone.
    const alice = await currentUser(page);
    const stored = await fetch(`${serverURL}/classes/Todo/${aliceTodos[0]}`, {
      headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': alice.sessionToken },
    });
    expect(await stored.json()).to.deep.include({
      title: 'Water the plants',
      done: false,
      owner: { __type: 'Pointer', className: '_User', objectId: alice.id },
      ACL: { [alice.id]: { read: true, write: true } },
    });
    await page.close();
  });

  it('completes one todo and deletes another, and both changes survive a reload', async () => {
    const page = await open(context, appURL);
    expect(await page.textContent('#who'), 'the session is kept across page loads').to.equal('alice');
    const [water, bank, bread] = await items(page);
    await act(page, () => page.check(`li[data-id="${water!.id}"] .done`));
    await act(page, () => page.click(`li[data-id="${bank!.id}"] .delete`));
    expect(await errorText(page)).to.equal(null);

    await page.reload({ timeout: STEP_MS });
    await page.waitForFunction(() => document.body.dataset.state === 'idle', undefined, { timeout: STEP_MS });
    expect(await items(page)).to.deep.equal([
      { id: water!.id, title: 'Water the plants', done: true, image: null },
      { id: bread!.id, title: 'Buy bread', done: false, image: null },
    ]);
    await page.close();
  });

  it("shows alice's changes in her other open page at once (LiveQuery), with no reload", async () => {
    const writer = await open(context, appURL);
    const watcher = await open(context, appURL);
    const titles = (page: Page) => items(page).then((list) => list.map((t) => t.title));
    const waitForTitles = (page: Page, wanted: string[]) =>
      page.waitForFunction(
        (expected: string[]) =>
          JSON.stringify([...document.querySelectorAll('#list li .title')].map((el) => el.textContent)) ===
          JSON.stringify(expected),
        wanted,
        { timeout: STEP_MS },
      );
    const before = await titles(watcher);
    await addTodo(writer, 'Fix the bike');
    await waitForTitles(watcher, [...before, 'Fix the bike']);
    const added = (await items(writer)).find((t) => t.title === 'Fix the bike')!;
    await act(writer, () => writer.check(`li[data-id="${added.id}"] .done`));
    await watcher.waitForSelector(`li[data-id="${added.id}"].is-done`, { timeout: STEP_MS });
    await act(writer, () => writer.click(`li[data-id="${added.id}"] .delete`));
    await waitForTitles(watcher, before);
    expect(await errorText(writer)).to.equal(null);
    await writer.close();
    await watcher.close();
  });

  it('attaches an image to a todo and displays it (the screenshot of the docs)', async () => {
    const page = await open(context, appURL);
    const [water] = await items(page);
    await act(page, () =>
      page.setInputFiles(`li[data-id="${water!.id}"] .image-input`, {
        name: 'plant.png',
        mimeType: 'image/png',
        buffer: pngImage(64, 64),
      }),
    );
    expect(await errorText(page)).to.equal(null);
    const [shown, other] = await items(page);
    expect(other!.image).to.equal(null);
    expect(shown!.image).to.match(new RegExp(`^${serverURL}/files/${APP_ID}/[0-9a-f]{32}_plant\\.png$`));
    expect(await loadedImages(page)).to.deep.equal([64]);

    mkdirSync(dirname(screenshotPath), { recursive: true });
    const card = (await page.locator('main').boundingBox())!;
    const height = Math.min(VIEWPORT.height, Math.ceil(card.y + card.height + card.y));
    await page.screenshot({
      path: screenshotPath,
      animations: 'disabled',
      caret: 'hide',
      clip: { x: 0, y: 0, width: VIEWPORT.width, height },
    });
    await act(page, () => page.click('#logout'));
    expect(await page.isVisible('#auth')).to.equal(true);
    expect(await items(page)).to.deep.equal([]);
    await page.close();
  });

  it("shows bob, on a second origin, none of alice's todos; the API refuses them to him too", async () => {
    const page = await open(context, otherURL);
    expect(new URL(otherURL).origin).not.to.equal(new URL(serverURL).origin);
    await signUpOrLogIn(page, '#signup', 'bob', 'bob-password');
    expect(await items(page)).to.deep.equal([]);

    const headers = {
      'X-Parse-Application-Id': APP_ID,
      'X-Parse-Session-Token': (await currentUser(page)).sessionToken,
    };
    for (const id of aliceTodos) {
      const response = await fetch(`${serverURL}/classes/Todo/${id}`, { headers });
      expect(response.status, id).to.equal(404);
      expect(await response.json()).to.deep.equal({ code: 101, error: 'Object not found.' });
    }
    const list = await fetch(`${serverURL}/classes/Todo`, { headers });
    expect(await list.json()).to.deep.equal({ results: [] });
    await page.close();
  });

  it('works across origins: sign-up, writes, uploads, preflighted requests and images', async () => {
    const page = await open(context, otherURL);
    expect(await page.textContent('#who')).to.equal('bob');
    await addTodo(page, 'Feed the cat');
    const [cat] = await items(page);
    await act(page, () =>
      page.setInputFiles(`li[data-id="${cat!.id}"] .image-input`, {
        name: 'cat.png',
        mimeType: 'image/png',
        buffer: pngImage(32, 32),
      }),
    );
    expect(await errorText(page)).to.equal(null);
    expect(await loadedImages(page)).to.deep.equal([32]);

    // The SDK avoids preflights (text/plain bodies); a plain fetch with Parse headers needs one.
    const preflighted = await page.evaluate(
      async ([url, token]) => {
        const response = await fetch(`${url}/classes/Todo`, {
          headers: { 'X-Parse-Application-Id': 'todo', 'X-Parse-Session-Token': token },
        });
        return {
          status: response.status,
          titles: ((await response.json()) as { results: { title: string }[] }).results.map((t) => t.title),
        };
      },
      [serverURL, (await currentUser(page)).sessionToken] as const,
    );
    expect(preflighted).to.deep.equal({ status: 200, titles: ['Feed the cat'] });
    const preflight = await fetch(`${serverURL}/classes/Todo`, {
      method: 'OPTIONS',
      headers: {
        Origin: new URL(otherURL).origin,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'x-parse-application-id,x-parse-session-token',
      },
    });
    expect(preflight.status).to.equal(200);
    expect(preflight.headers.get('access-control-allow-origin')).to.equal('*');
    expect(preflight.headers.get('access-control-allow-headers'))
      .to.match(/X-Parse-Application-Id/)
      .and.match(/X-Parse-Session-Token/);

    await act(page, () => page.click('#logout'));
    await signUpOrLogIn(page, '#login', 'alice', 'alice-password');
    const mine = await items(page);
    expect(mine.map((t) => [t.title, t.done])).to.deep.equal([
      ['Water the plants', true],
      ['Buy bread', false],
    ]);
    expect(await loadedImages(page)).to.deep.equal([64]);
    await page.close();
  });

  it('raised no page errors and no CORS complaints', () => {
    expect(pageProblems).to.deep.equal([]);
  });
});
