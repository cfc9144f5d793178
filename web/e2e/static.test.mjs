// The built front end under the production Content-Security-Policy, served by a plain static
// server (no back end needed): no violations, no inline code, no other origin, fits a phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { PAGE_HEADERS, WEB_DIR, freePort, launchBrowser, overflowsHorizontally, watchPage, withScreenshots } from './harness.mjs';

const DIST = join(WEB_DIR, 'dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

let server;
let origin;
let browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'web/dist is missing: run `npm run build` first');
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = createServer((req, res) => {
    const path = new URL(req.url, origin).pathname;
    const json = (status, body) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/api/instance') return json(200, { name: 'Static', version: '0.0.0', registration_mode: 'approval', default_language: 'en' });
    if (path === '/api/session') return json(401, { code: 'not_authenticated', message: 'not logged in' });
    if (path.startsWith('/api/')) return json(404, { code: 'not_found', message: 'not found' });
    const relative = normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, '');
    let file = join(DIST, relative);
    if (!extname(file) || !existsSync(file)) file = join(DIST, 'index.html');
    res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('index.html has no inline script or style and loads assets from /assets/', () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length > 0);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /\bsrc="\/assets\/[^"]+\.js"/);
    assert.equal(body.trim(), '');
  }
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle=/i);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  assert.match(html, /<link rel="stylesheet"[^>]*href="\/assets\/[^"]+\.css"/);
  // No other origin in the built files, except XML namespaces, the texts of developer warnings
  // of Svelte, Yjs, ProseMirror and TipTap (links printed in the console, never requested), and
  // the example address in the link dialog's hint.
  for (const name of readdirSync(join(DIST, 'assets'))) {
    const text = readFileSync(join(DIST, 'assets', name), 'utf8');
    const origins = new Set([...text.matchAll(/https?:\/\/[a-z0-9.-]+/gi)].map((m) => m[0].toLowerCase()));
    origins.delete('http://www.w3.org');
    for (const allowed of ['https://svelte.dev', 'https://github.com', 'https://prosemirror.net', 'https://tiptap.dev', 'https://example.org', 'https://exemple.org']) {
      origins.delete(allowed);
    }
    assert.deepEqual([...origins], [], `${name} names other origins`);
  }
});

test('pages render under the CSP at 360 px without violations or sideways scrolling', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-GB' });
    const page = track(await context.newPage());
    const watch = watchPage(page, origin);
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const pages = {
      '/': 'Work together, on a host you trust',
      '/login': 'Log in',
      '/signup': 'Create an account',
      '/forgot-password': 'Forgot your password',
      '/reset-password?token=abc': 'Choose a new password',
      '/no-such-page': 'Page not found',
    };
    for (const [path, title] of Object.entries(pages)) {
      await page.goto(`${origin}${path}`);
      await page.locator('h1').waitFor();
      assert.equal((await page.locator('h1').textContent()).trim(), title, path);
      assert.equal(await overflowsHorizontally(page), false, `${path} scrolls sideways at 360 px`);
      assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], path);
    }
    // The registration mode shapes the sign-up form: "approval" asks for a reason.
    await page.goto(`${origin}/signup`);
    await page.getByLabel('Why do you want to join?').waitFor();
    // Styles from the external stylesheet apply (a CSP-blocked sheet would leave them unset).
    const buttonColour = await page.getByTestId('signup-submit').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(buttonColour, 'rgba(0, 0, 0, 0)');
    assert.deepEqual(watch.problems(), []);
  });
});

test('the keyboard reaches everything, with a visible focus', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = track(await context.newPage());
    await page.goto(`${origin}/login`);
    await page.locator('h1').waitFor();

    // The first Tab reaches the skip link, which is then shown.
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => ({
      text: document.activeElement?.textContent?.trim(),
      top: document.activeElement?.getBoundingClientRect().top,
    }));
    assert.equal(skip.text, 'Skip to content');
    assert.ok(skip.top >= 0, 'the skip link stays off screen when focused');

    // Tab on to the login field: it shows a focus outline.
    let outline = null;
    for (let i = 0; i < 15 && outline === null; i += 1) {
      await page.keyboard.press('Tab');
      outline = await page.evaluate(() => {
        const el = document.activeElement;
        return el?.getAttribute('data-testid') === 'login-login' ? getComputedStyle(el).outlineStyle : null;
      });
    }
    assert.ok(outline && outline !== 'none', `no visible focus on the login field (${outline})`);

    // Typing and Enter submit the form; the error is announced in an alert.
    await page.keyboard.type('someone');
    await page.keyboard.press('Tab');
    await page.keyboard.type('secret');
    await page.keyboard.press('Enter');
    const alert = page.getByTestId('login-error');
    await page.waitForFunction(() => document.querySelector('[data-testid="login-error"]')?.textContent?.trim());
    assert.equal(await alert.getAttribute('role'), 'alert');

    // Every form control on the sign-up page has a label.
    await page.goto(`${origin}/signup`);
    await page.locator('form').waitFor();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );
    assert.deepEqual(unlabelled, []);
  });
});
