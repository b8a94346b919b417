/**
 * The tooling package (`tools/`): parse-server, the load generator, parse-server's files adapters and
 * a local S3. It is kept out of the root install so that installing Plinth stays small; the benchmark
 * and the tests that need a tool install it on demand, once, and fail loudly when they cannot.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from build/test/support/ where this module runs. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the tooling package lives. */
export const TOOLS_DIR = join(ROOT, 'tools');
const MARKER = join(TOOLS_DIR, 'node_modules', '.plinth-lock-hash');
const LOCK = join(TOOLS_DIR, '.installing');
/** A cold install of the tools takes about a minute; a test that needs them allows this much. */
export const TOOLS_INSTALL_TIMEOUT_MS = 10 * 60_000;

function lockHash(): string {
  return createHash('sha256')
    .update(readFileSync(join(TOOLS_DIR, 'package-lock.json')))
    .digest('hex');
}

function installed(hash: string): boolean {
  return existsSync(MARKER) && readFileSync(MARKER, 'utf8') === hash;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Installs the tooling package exactly as its lock file pins it, unless that very lock file is
 * already installed. Safe when two processes ask at once: one installs, the other waits.
 */
export function ensureTools(): void {
  const hash = lockHash();
  if (installed(hash)) return;
  const deadline = Date.now() + TOOLS_INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`another process holds ${LOCK}; remove it if none is installing`);
      sleep(500);
      if (installed(hash)) return;
    }
  }
  try {
    if (installed(hash)) return;
    process.stderr.write('Installing the tooling package (npm ci --prefix tools), once...\n');
    execFileSync('npm', ['ci', '--prefix', TOOLS_DIR, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: TOOLS_INSTALL_TIMEOUT_MS,
    });
    writeFileSync(MARKER, hash);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** `require` of a package of the tooling package, installing it first when needed. */
export function requireTool<T>(name: string): T {
  ensureTools();
  return createRequire(join(TOOLS_DIR, 'package.json'))(name) as T;
}

/** The resolved path of a tool's module (for options that name a module, as parse-server's do). */
export function resolveTool(name: string): string {
  ensureTools();
  return createRequire(join(TOOLS_DIR, 'package.json')).resolve(name);
}
