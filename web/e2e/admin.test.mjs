// Administration: an admin made from the command line manages registration and invite codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, logIn, startMaille, watchPage, withScreenshots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startMaille({ name: 'admin' });
  browser = await launchBrowser();
  await server.createUser({ username: 'gerard', email: 'gerard@example.org', password: 'admin passphrase here', admin: true });
  await server.createUser({ username: 'dana', email: 'dana@example.org', password: 'dana passphrase here' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an admin switches registration to invitations and hands out a sign-up link', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = track(await context.newPage());
    const watch = watchPage(page, server.url);
    await logIn(page, server, 'gerard', 'admin passphrase here');

    await page.getByTestId('nav-admin').click();
    await page.waitForURL(`${server.url}/admin`);
    const dana = page.locator('[data-testid="admin-user"][data-username="dana"]');
    await dana.waitFor();

    // Search narrows the list.
    await page.getByTestId('admin-user-q').fill('dana');
    await page.getByTestId('admin-user-search-submit').click();
    await eventually(async () => (await page.getByTestId('admin-user').count()) === 1, 'search did not narrow the list');

    // Disable and enable an account.
    await dana.getByTestId('admin-user-disable').click();
    await dana.getByTestId('admin-user-enable').waitFor();
    await dana.getByTestId('admin-user-enable').click();
    await dana.getByTestId('admin-user-disable').waitFor();

    // Registration by invitation only.
    await page.getByTestId('registration-invite').check();
    await page.getByTestId('registration-submit').click();
    await eventually(async () => (await page.getByTestId('registration-success').textContent()).trim() !== '', 'mode not saved');
    const mode = await page.evaluate(async () => (await (await fetch('/api/instance')).json()).registration_mode);
    assert.equal(mode, 'invite');

    // An invite code with a sign-up link.
    await page.getByTestId('admin-invite-max-uses').fill('3');
    await page.getByTestId('admin-invite-create').click();
    const link = page.getByTestId('admin-invite-link').first();
    await link.waitFor();
    const signupLink = await link.inputValue();
    assert.match(signupLink, /\/signup\?invite=[^&\s]+$/);

    // A visitor following the link sees the invitation code already filled in.
    const visitor = track(await (await browser.newContext({ locale: 'en-GB' })).newPage());
    await visitor.goto(signupLink);
    const code = visitor.getByTestId('signup-invite-code');
    await code.waitFor();
    assert.equal(await code.inputValue(), new URL(signupLink).searchParams.get('invite'));

    // A plain user is kept out of the administration page.
    const user = track(await (await browser.newContext({ locale: 'en-GB' })).newPage());
    await logIn(user, server, 'dana', 'dana passphrase here');
    assert.equal(await user.getByTestId('nav-admin').count(), 0);
    await user.goto(`${server.url}/admin`);
    await user.getByTestId('admin-forbidden').waitFor();
    assert.deepEqual(watch.problems(), []);
  });
});
