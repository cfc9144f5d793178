// Federation in the browser: two instances on localhost; alice (on A) follows bob (on B) by
// his @name@host address, bob makes a pad public, and alice's feed shows it with its link.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAs, eventually, launchBrowser, logIn, startInstancePair, watchPage, withScreenshots } from './harness.mjs';

const PASSWORD = 'a long enough passphrase';

let a;
let b;
let browser;

before(async () => {
  [a, b] = await startInstancePair('federation', { MAILLE_FEDERATION__DELIVERY_FIRST_RETRY_SECONDS: '1' });
  browser = await launchBrowser();
  await a.createUser({ username: 'alice', email: 'alice@example.org', password: PASSWORD });
  await b.createUser({ username: 'bob', email: 'bob@example.org', password: PASSWORD });
});

after(async () => {
  await browser?.close();
  await a?.stop();
  await b?.stop();
});

test('alice follows bob on another instance and sees his public pad in her feed', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = track(await context.newPage());
    const watch = watchPage(page, a.url);
    await logIn(page, a, 'alice', PASSWORD);

    // Follow by address.
    await page.getByTestId('nav-network').click();
    await page.waitForURL(`${a.url}/network`);
    const bobHandle = `@bob@${new URL(b.url).host}`;
    await page.getByTestId('me-follow-handle').fill('not an address');
    await page.getByTestId('me-follow-submit').click();
    await eventually(async () => (await page.getByTestId('me-follow-error').textContent()).includes('@name@host'), 'no error for a bad address');
    await page.getByTestId('me-follow-handle').fill(bobHandle);
    await page.getByTestId('me-follow-submit').click();
    const bob = page.locator(`[data-testid="following"][data-handle="${bobHandle}"]`);
    await bob.waitFor();
    await eventually(async () => {
      await page.reload();
      await page.getByTestId('me-follow-form').waitFor();
      return (await bob.count()) === 1 && (await bob.getByTestId('follow-state').textContent()).trim() === 'accepted';
    }, 'bob did not accept', 30_000);

    // bob publishes a pad.
    const asBob = await apiAs(b, 'bob', PASSWORD);
    const created = await asBob('POST', '/api/pads', { title: 'Minutes of the general assembly', visibility: 'public' });
    assert.equal(created.status, 201);

    // It reaches alice's feed, with its link on B.
    await page.getByTestId('nav-feed').click();
    await page.waitForURL(`${a.url}/feed`);
    const item = page.getByTestId('feed-item').filter({ hasText: 'Minutes of the general assembly' });
    await eventually(async () => {
      await page.reload();
      await page.getByRole('heading', { level: 1 }).waitFor();
      return (await item.count()) === 1;
    }, 'the pad did not reach the feed', 30_000);
    assert.equal(await item.getAttribute('data-kind'), 'pad');
    assert.equal(await item.getByTestId('feed-title').getAttribute('href'), `${b.url}/p/${created.body.read_id}`);
    assert.match(await item.getByTestId('feed-author').textContent(), /bob/);
    assert.deepEqual(watch.problems(), []);

    // bob's public profile on B, as the link of his actor shows it to anyone.
    const visitor = track(await (await browser.newContext({ locale: 'fr-FR' })).newPage());
    await visitor.goto(`${b.url}/u/bob`);
    await visitor.getByTestId('profile-title').waitFor();
    assert.equal((await visitor.getByTestId('profile-handle').textContent()).trim(), bobHandle);
    await visitor.goto(`${b.url}/u/nobody_here`);
    await visitor.getByTestId('profile-not-found').waitFor();
    await context.close();
  });
});

test('an admin sees the federation mode, blocks an instance and sees the delivery state', async (t) => {
  await withScreenshots(t.name, async (track) => {
    await a.createUser({ username: 'gerard', email: 'gerard@example.org', password: PASSWORD, admin: true });
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = track(await context.newPage());
    const watch = watchPage(page, a.url);
    await logIn(page, a, 'gerard', PASSWORD);
    await page.getByTestId('nav-admin').click();
    const mode = page.getByTestId('federation-mode');
    await mode.waitFor();
    assert.equal(await mode.getAttribute('data-mode'), 'open');
    assert.match(await mode.textContent(), /Mode/);

    await page.getByTestId('domain-input').fill('spam.example');
    await page.getByTestId('domain-policy').selectOption('block');
    await page.getByTestId('domain-reason').fill('spam');
    await page.getByTestId('domain-submit').click();
    const rule = page.locator('[data-testid="domain-rule"][data-domain="spam.example"]');
    await rule.waitFor();
    // alice's follow was delivered to B in the first test: B is listed, working.
    const instance = page.getByTestId('instance').filter({ hasText: new URL(b.url).host });
    await instance.waitFor();
    assert.equal(await instance.getAttribute('data-state'), 'ok');

    await rule.getByTestId('remove-domain').click();
    await rule.getByTestId('remove-domain-confirm').click();
    await page.getByTestId('domains-empty').waitFor();
    assert.deepEqual(watch.problems(), []);
    await context.close();
  });
});
