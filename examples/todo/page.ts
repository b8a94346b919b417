/**
 * The todo app's web page as an Express router: the static files of `public/`, the browser build
 * of the Parse JS SDK from node_modules, and `config.js`, which tells the page which backend to
 * talk to. The host app serves it next to the backend; any other origin can serve it too, pointed
 * at the same backend (the browser then talks to Plinth across origins).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** What the page needs to know about its backend. */
export interface TodoPageConfig {
  appId: string;
  /** The backend's URL as the browser reaches it, e.g. `http://127.0.0.1:3000/parse`. */
  serverURL: string;
}

/**
 * The folder of static files: `public/` beside this module when it sits in the source tree, or
 * the source folder when this module runs compiled from `build/examples/todo/` (tsc copies no
 * HTML).
 */
export function publicDir(): string {
  const candidates = [new URL('public/', import.meta.url), new URL('../../../examples/todo/public/', import.meta.url)];
  const found = candidates.find((url) => existsSync(new URL('index.html', url)));
  if (!found) throw new Error('examples/todo/public/index.html not found');
  return fileURLToPath(found);
}

/** The browser build of the Parse JS SDK (`window.Parse`), as installed in node_modules. */
export const parseBrowserBuild = createRequire(import.meta.url).resolve('parse/dist/parse.min.js');

/** The page, its script and the SDK, configured for one backend. */
export function todoPage(config: TodoPageConfig): Router {
  const router = express.Router();
  const configScript = `window.TODO_CONFIG = ${JSON.stringify({ appId: config.appId, serverURL: config.serverURL })};\n`;
  router.get('/config.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-store').send(configScript);
  });
  router.get('/vendor/parse.min.js', (_req, res) => {
    res.sendFile(parseBrowserBuild);
  });
  router.use(express.static(publicDir(), { index: 'index.html' }));
  return router;
}
