// Signing in with one's home instance, in Chromium: two instances on localhost. carol's space
// on A adds bob of B as a member; bob opens the space's private pad on A, chooses "Sign in with
// my home instance", confirms on B (logging in there first), and lands on the pad, able to edit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAs, launchBrowser, startInstancePair, withScreenshots } from './harness.mjs';

const PASSWORD = 'a long enough passphrase';

let a;
let b;
let browser;

before(async () => {
  [a, b] = await startInstancePair('home-sign-in');
  browser = await launchBrowser();
  await a.createUser({ username: 'carol', email: 'carol@example.org', password: PASSWORD });
  await b.createUser({ username: 'bob', email: 'bob@example.org', password: PASSWORD });
});

after(async () => {
  await browser?.close();
  await a?.stop();
  await b?.stop();
});

test('bob of B signs in on A with his home instance and opens a private pad of a space there', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const bobHandle = `bob@${new URL(b.url).host}`;
    const asCarol = await apiAs(a, 'carol', PASSWORD);
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
});
