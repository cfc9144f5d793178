// Signing in with one's home instance, in Chromium: two instances on localhost. carol's space
// on A adds bob of B as a member; bob opens the space's private pad on A, chooses "Sign in with
// my home instance", confirms on B (logging in there first), and lands on the pad, able to edit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startMaille, withScreenshots } from './harness.mjs';

const FEDERATION = { MAILLE_FEDERATION__ALLOW_INSECURE_HTTP: 'true' };
const PASSWORD = 'a long enough passphrase';

let a;
let b;
let browser;
let failed = false;

before(async () => {
  a = await startMaille({ name: 'home-sign-in-a', host: 'localhost', env: FEDERATION });
  b = await startMaille({ name: 'home-sign-in-b', host: 'localhost', env: FEDERATION });
  browser = await launchBrowser();
  await a.createUser({ username: 'carol', email: 'carol@example.org', password: PASSWORD });
  await b.createUser({ username: 'bob', email: 'bob@example.org', password: PASSWORD });
});

after(async () => {
  await browser?.close();
  await a?.stop({ keep: failed });
  await b?.stop({ keep: failed });
});

/** Logs in through the API from Node; returns a function that sends requests as that user. */
async function apiAs(server, login) {
  const origin = server.url;
  const response = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin },
    body: JSON.stringify({ login, password: PASSWORD }),
  });
  assert.equal(response.status, 200);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await response.json();
  return async (method, path, body) => {
    const answer = await fetch(`${origin}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie, 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    return { status: answer.status, body: text ? JSON.parse(text) : null };
  };
}

test('bob of B signs in on A with his home instance and opens a private pad of a space there', async (t) => {
  try {
    await withScreenshots(t.name, async (track) => {
      const bobHandle = `bob@${new URL(b.url).host}`;
      const asCarol = await apiAs(a, 'carol');
      assert.equal((await asCarol('POST', '/api/spaces', { handle: 'club', display_name: 'Club' })).status, 201);
      const pad = await asCarol('POST', '/api/pads', { title: 'Club minutes', space: 'club' });
      assert.equal(pad.status, 201);
      const added = await asCarol('POST', '/api/federation/spaces/club/members', { handle: `@${bobHandle}` });
      assert.equal(added.status, 201);

      const context = await browser.newContext({ locale: 'en-GB' });
      const page = track(await context.newPage());
      await page.goto(`${a.url}/login?next=${encodeURIComponent(`/p/${pad.body.id}`)}`);
      await page.getByTestId('home-sign-in-handle').fill('not an address');
      await page.getByTestId('home-sign-in-submit').click();
      await page.getByTestId('home-sign-in-error').filter({ hasText: '@name@host' }).waitFor();
      await page.getByTestId('home-sign-in-handle').fill(`@${bobHandle}`);
      await page.getByTestId('home-sign-in-submit').click();

      // On B: log in first, then confirm.
      await page.waitForURL(`${b.url}/login?**`);
      await page.getByTestId('login-login').fill('bob');
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      const question = page.getByTestId('authorize-question');
      await question.waitFor();
      assert.match(await question.textContent(), new RegExp(`Sign in to ${new URL(a.url).host} as @${bobHandle}`));
      await page.getByTestId('authorize-confirm').click();

      // Back on A, on the pad, as bob@B.
      await page.waitForURL(`${a.url}/p/${pad.body.id}`);
      await page.getByTestId('pad-title').filter({ hasText: 'Club minutes' }).waitFor();
      const session = await page.evaluate(async () => (await fetch('/api/session')).json());
      assert.equal(session.user.username, bobHandle);
      assert.equal(session.user.remote, true);
      await context.close();
    });
  } catch (error) {
    failed = true;
    throw error;
  }
});
