// Settings: profile, sessions, password, export, password reset by email, account deletion.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eventually, launchBrowser, logIn, startMaille, text, watchPage, withScreenshots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startMaille({ name: 'settings' });
  browser = await launchBrowser();
  await server.createUser({ username: 'erin', email: 'erin@example.org', password: 'first passphrase of erin' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const filled = (locator) => eventually(async () => (await text(locator)) !== '', 'message did not appear');

test('a user manages their account from the settings page', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
    const page = track(await context.newPage());
    const watch = watchPage(page, server.url);
    await logIn(page, server, 'erin@example.org', 'first passphrase of erin');
    await page.getByTestId('language-select').selectOption('en');

    await page.getByTestId('nav-settings').click();
    await page.waitForURL(`${server.url}/settings`);
    assert.equal(await text(page.getByTestId('settings-username')), '@erin');

    // Profile: a new display name shows on the home page.
    await page.getByTestId('profile-display-name').fill('Erin Leroy');
    await page.getByTestId('profile-language').selectOption('en');
    await page.getByTestId('profile-submit').click();
    await filled(page.getByTestId('profile-success'));

    // Sessions: this browser is listed as the current one.
    const sessions = page.getByTestId('session-list');
    await sessions.waitFor();
    assert.match(await text(sessions), /This browser/);

    // Export: the download is a JSON document about this account.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()]);
    assert.match(download.suggestedFilename(), /^maille-erin-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.match(JSON.stringify(exported), /erin@example\.org/);

    // Password: two different new passwords are refused in the browser.
    await page.getByTestId('password-current').fill('first passphrase of erin');
    await page.getByTestId('password-new').fill('second passphrase of erin');
    await page.getByTestId('password-confirmation').fill('something else entirely');
    await page.getByTestId('password-submit').click();
    assert.equal(await text(page.getByTestId('password-error')), 'The two new passwords are different.');
    await page.getByTestId('password-confirmation').fill('second passphrase of erin');
    await page.getByTestId('password-submit').click();
    await filled(page.getByTestId('password-success'));
    // The session goes on with the token of the new session.
    await page.getByTestId('profile-display-name').fill('Erin L.');
    await page.getByTestId('profile-submit').click();
    await filled(page.getByTestId('profile-success'));
    await page.reload();
    assert.equal(await page.getByTestId('profile-display-name').inputValue(), 'Erin L.');

    // Forgotten password: the emailed link sets a new one.
    await page.getByTestId('logout').click();
    await page.getByTestId('home-login').waitFor();
    await page.goto(`${server.url}/forgot-password`);
    await page.getByTestId('forgot-email').fill('erin@example.org');
    await page.getByTestId('forgot-submit').click();
    await filled(page.getByTestId('forgot-success'));
    const mail = await server.waitForEmail({ to: 'erin@example.org', linkPart: '/reset-password?token=' });
    await page.goto(mail.link);
    await page.getByTestId('reset-password').fill('third passphrase of erin');
    await page.getByTestId('reset-password-confirmation').fill('third passphrase of erin');
    await page.getByTestId('reset-submit').click();
    await page.getByTestId('reset-done').waitFor();
    await logIn(page, server, 'erin', 'third passphrase of erin');

    // Deletion is refused while Erin is the only owner of a space.
    await page.getByTestId('create-space').click();
    await page.getByTestId('space-name').fill('Atelier');
    await page.getByTestId('new-space-submit').click();
    await page.getByTestId('space-title').waitFor();
    await page.goto(`${server.url}/settings`);
    await page.getByTestId('delete-password').fill('third passphrase of erin');
    await page.getByTestId('delete-understood').check();
    await page.getByTestId('delete-submit').click();
    await filled(page.getByTestId('delete-error'));
    assert.equal(await text(page.getByTestId('delete-error')), 'You are the only owner of a space. Make someone else an owner first.');

    // Once the space is deleted, the account can go.
    await page.goto(`${server.url}/s/atelier`);
    await page.getByTestId('delete-space').click();
    await page.getByTestId('delete-space-confirm').click();
    await page.getByTestId('notice').waitFor();
    await page.goto(`${server.url}/settings`);
    await page.getByTestId('delete-password').fill('third passphrase of erin');
    await page.getByTestId('delete-understood').check();
    await page.getByTestId('delete-submit').click();
    await page.getByTestId('notice').waitFor();
    assert.equal(await text(page.getByTestId('notice')).then((s) => s.startsWith('Your account has been deleted.')), true);
    await page.getByTestId('home-login').waitFor();

    await page.goto(`${server.url}/login`);
    await page.getByTestId('login-login').fill('erin');
    await page.getByTestId('login-password').fill('third passphrase of erin');
    await page.getByTestId('login-submit').click();
    await filled(page.getByTestId('login-error'));
    assert.deepEqual(watch.problems(), []);
  });
});
