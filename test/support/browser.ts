/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (kept off the network),
 * a free port for an example to listen on, and bounded waits for shutting things down.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** CHROMIUM_PATH, else `chromium` on the PATH (Debian's package), else its usual place. */
export const chromiumPath =
  process.env.CHROMIUM_PATH ??
  (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'chromium'))
    .find((file) => existsSync(file)) ??
  '/usr/bin/chromium';

/**
 * Whether Chromium is here. CI always has it (`.ci/run` installs it), so there its absence fails
 * the run; elsewhere the caller skips the suite with the returned message.
 */
export function chromiumMissing(): string | null {
  if (existsSync(chromiumPath)) return null;
  const message = `Chromium not found at ${chromiumPath}; install Debian's chromium package to run the browser test (or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(`${message}. CI always runs this test: .ci/run installs the package`);
  return message;
}

/** Headless Chromium in a fresh profile, kept off the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 10000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** `work`'s result, or undefined when it takes longer than `ms` (the caller then stops waiting). */
export function bounded<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([work, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

/** Stops an example this test started: SIGINT (it closes itself), then SIGKILL after 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  if (
    !(await bounded(
      exited.then(() => true),
      5000,
    ))
  )
    child.kill('SIGKILL');
}
