/**
 * Shared helpers of the browser tests: start the real `maille` server on a free port with a
 * fresh data directory, read the emails it writes to its outbox, and drive Debian's Chromium
 * through playwright-core (no browser is ever downloaded).
 */
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { parseEmail } from './mail.mjs';

const run = promisify(execFile);

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS_DIR = join(WEB_DIR, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const MAILLE_BIN =
  process.env.MAILLE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'maille', 'target'), 'debug', 'maille');

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** The headers the server sends with every page, for the static servers of these tests. */
export const PAGE_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Set once a test body run through `withScreenshots` has failed: servers then keep their logs. */
let someTestFailed = false;

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The command line for the server binary. */
function command(args) {
  return [MAILLE_BIN, args];
}

/**
 * Starts `maille serve` with a fresh data directory and waits until /healthz answers 200.
 * `env` adds settings (`MAILLE_…` variables) for this server only. `host` names it in its URL
 * (`localhost` for the federation tests: federation needs a domain, not an IP address).
 * Returns the base URL, helpers to run CLI commands and read emails, and `stop()`.
 */
export async function startMaille({ name = 'maille', env: settings = {}, host = '127.0.0.1' } = {}) {
  if (!existsSync(MAILLE_BIN)) {
    throw new Error(
      `The maille binary is not at ${MAILLE_BIN}. Build it (cargo build -p maille) or set MAILLE_BIN.`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'maille-e2e-'));
  const port = await freePort();
  const url = `http://${host}:${port}`;
  // The server refuses unknown MAILLE_* variables: keep this harness's own settings from it.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('MAILLE_')),
  );
  const env = {
    ...inherited,
    MAILLE_DATA_DIR: dataDir,
    MAILLE_LISTEN: `127.0.0.1:${port}`,
    MAILLE_PUBLIC_URL: url,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    ...settings,
  };
  const [file, args] = command(['serve']);
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (exited) {
        throw new Error(`maille serve exited early (${JSON.stringify(exited)}):\n${log}`);
      }
      try {
        const response = await fetch(`${url}/healthz`);
        if (response.status === 200) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`maille serve did not answer /healthz within 60 s:\n${log}`);
      }
      await sleep(200);
    }
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const seenEmails = new Set();

  return {
    url,
    dataDir,
    outbox: join(dataDir, 'outbox'),
    get log() {
      return log;
    },

    /** Runs another `maille` command (for example `admin user create`) with the same environment. */
    async cli(...cliArgs) {
      const [cliFile, fullArgs] = command(cliArgs);
      return run(cliFile, fullArgs, { env, timeout: 60_000 });
    },

    /** Creates an account from the command line; `admin` makes it an administrator. */
    async createUser({ username, email, password, admin = false }) {
      const cliArgs = ['admin', 'user', 'create', '--username', username, '--email', email, '--password', password];
      if (admin) cliArgs.push('--admin');
      await this.cli(...cliArgs);
    },

    /**
     * Waits for a new email to `to` with a link containing `linkPart`, and returns the message
     * and that link. Each email is handed out once.
     */
    async waitForEmail({ to, linkPart, timeoutMs = 20_000 }) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const files = existsSync(this.outbox) ? readdirSync(this.outbox).filter((f) => f.endsWith('.eml')).sort() : [];
        for (const fileName of files) {
          if (seenEmails.has(fileName)) continue;
          const path = join(this.outbox, fileName);
          let mail;
          try {
            mail = parseEmail(readFileSync(path));
          } catch {
            continue; // Possibly still being written: try again on the next round.
          }
          const link = mail.links.find((l) => l.includes(linkPart));
          if (mail.to.toLowerCase().includes(to.toLowerCase()) && link) {
            seenEmails.add(fileName);
            return { ...mail, link, file: path };
          }
        }
        if (Date.now() > until) {
          throw new Error(`no email to ${to} with a link containing ${linkPart} in ${this.outbox} (files: ${files.join(', ')})`);
        }
        await sleep(200);
      }
    },

    /** Stops the server; its log and data stay (`keep`) by default when a test has failed. */
    async stop({ keep = someTestFailed } = {}) {
      if (!exited) {
        child.kill('SIGTERM');
        const killAt = Date.now() + 10_000;
        while (!exited && Date.now() < killAt) await sleep(100);
        if (!exited) child.kill('SIGKILL');
      }
      mkdirSync(RESULTS_DIR, { recursive: true });
      if (keep) writeFileSync(join(RESULTS_DIR, `${name}-server.log`), log);
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Launches Debian's Chromium headless. Playwright gives every launch a fresh temporary
 * profile (user data directory) and removes it on close. `args` adds command-line switches
 * (the rooms test adds a fake camera and microphone).
 */
export async function launchBrowser({ args: extraArgs = [] } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

/**
 * Watches a page for Content-Security-Policy violations, console errors and requests to
 * other origins; `problems()` lists what was seen.
 */
export function watchPage(page, origin) {
  const seen = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (load|apply|execute|connect)/i.test(text)) seen.push(`CSP: ${text}`);
  });
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:') && !url.startsWith('about:')) {
      seen.push(`request to another origin: ${url}`);
    }
  });
  return { problems: () => [...seen] };
}

/**
 * Runs a test body that receives `track(page)`; if it throws, every tracked page is saved as a
 * screenshot in web/test-results/ before the error goes on, and the servers of this test file
 * keep their logs when stopped.
 */
export async function withScreenshots(testName, body) {
  const pages = [];
  const track = (page) => {
    pages.push(page);
    return page;
  };
  try {
    await body(track);
  } catch (error) {
    someTestFailed = true;
    mkdirSync(RESULTS_DIR, { recursive: true });
    const slug = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    for (const [index, page] of pages.entries()) {
      try {
        if (!page.isClosed()) {
          await page.screenshot({ path: join(RESULTS_DIR, `${slug}-${index + 1}.png`), fullPage: true });
        }
      } catch {
        // A crashed page cannot be captured; the error below still says what failed.
      }
    }
    throw error;
  }
}

/** Waits until `check()` is truthy (polling), or throws `message`. */
export async function eventually(check, message, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(message);
    await sleep(100);
  }
}

/** True when the page is wider than its viewport (horizontal scrolling). */
export async function overflowsHorizontally(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

/** The trimmed text of a locator ('' when it has none). */
export async function text(locator) {
  return ((await locator.textContent()) ?? '').trim();
}

/** Logs in on `server` through its login page, and waits for the home page. */
export async function logIn(page, server, login, password) {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-login').fill(login);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('home-title').waitFor();
}

/**
 * Logs in on `server` through the API from Node; returns `(method, path, body)` that sends a
 * request as that user and answers `{ status, body }` (the body parsed from JSON).
 */
export async function apiAs(server, login, password) {
  const origin = server.url;
  const response = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin },
    body: JSON.stringify({ login, password }),
  });
  assert.equal(response.status, 200, `logging in as ${login} on ${origin}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await response.json();
  return async (method, path, body) => {
    const answer = await fetch(`${origin}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie, 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answerText = await answer.text();
    return { status: answer.status, body: answerText ? JSON.parse(answerText) : null };
  };
}

/**
 * Starts two instances, `${name}-a` and `${name}-b`, on `localhost` (federation needs a domain),
 * federating over plain HTTP; `env` adds settings to both.
 */
export async function startInstancePair(name, env = {}) {
  const settings = { MAILLE_FEDERATION__ALLOW_INSECURE_HTTP: 'true', ...env };
  const a = await startMaille({ name: `${name}-a`, host: 'localhost', env: settings });
  try {
    const b = await startMaille({ name: `${name}-b`, host: 'localhost', env: settings });
    return [a, b];
  } catch (error) {
    await a.stop({ keep: true });
    throw error;
  }
}
