// Scenario 2: the interface follows the browser's language, the switcher, and then the account's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, startMaille, text, watchPage, withScreenshots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startMaille({ name: 'i18n' });
  browser = await launchBrowser();
  await server.createUser({ username: 'claire', email: 'claire@example.org', password: 'une phrase de passe longue' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a French browser gets the home and login pages in French', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = track(await context.newPage());
    const watch = watchPage(page, server.url);

    await page.goto(`${server.url}/`);
    await page.getByTestId('home-title').waitFor();
    assert.equal(await text(page.getByTestId('home-title')), 'Travailler ensemble, chez un hébergeur de confiance');
    assert.equal(await text(page.getByTestId('home-login')), 'Se connecter');
    assert.equal(await text(page.getByTestId('home-signup')), 'Créer un compte');
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await text(page.locator('.skip-link')), 'Aller au contenu');

    await page.getByTestId('home-login').click();
    await page.waitForURL(/\/login$/);
    assert.equal(await text(page.locator('h1')), 'Connexion');
    assert.match(await page.title(), /^Connexion · Maille$/);
    // Labels are translated and tied to their fields.
    await page.getByLabel('Nom d’utilisateur ou adresse e-mail').fill('claire');
    await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const error = page.getByTestId('login-error');
    await eventually(async () => (await text(error)) !== '', 'no error shown');
    // The API's error code is translated, not its English message.
    assert.equal(await text(error), 'Nom d’utilisateur, adresse e-mail ou mot de passe incorrect.');

    // The switcher changes the language at once, error message included.
    await page.getByLabel('Langue').selectOption('en');
    assert.equal(await text(page.locator('h1')), 'Log in');
    assert.equal(await text(error), 'Wrong username, email address or password.');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.deepEqual(watch.problems(), []);
  });
});

test('an English browser gets English, and the account language wins once logged in', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = track(await context.newPage());
    const watch = watchPage(page, server.url);

    await page.goto(`${server.url}/login`);
    assert.equal(await text(page.locator('h1')), 'Log in');

    // Set the account's language to French through the API, then log in from this English browser.
    await page.getByTestId('login-login').fill('claire');
    await page.getByTestId('login-password').fill('une phrase de passe longue');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('home-title').waitFor();
    await page.goto(`${server.url}/settings`);
    await page.getByTestId('profile-language').selectOption('fr');
    await page.getByTestId('profile-submit').click();
    await eventually(async () => (await text(page.locator('h1'))) === 'Paramètres', 'settings did not switch to French');

    // A fresh visit in this English browser follows the account, not the browser.
    // Only the session cookie is carried over: no language remembered in local storage.
    const cookiesOnly = { ...(await context.storageState()), origins: [] };
    const other = track(await (await browser.newContext({ locale: 'en-US', storageState: cookiesOnly })).newPage());
    await other.goto(`${server.url}/`);
    await other.getByTestId('home-title').waitFor();
    assert.match(await text(other.getByTestId('home-title')), /^Bonjour, /);
    assert.equal(await text(other.locator('#my-pads')), 'Mes pads');
    assert.deepEqual(watch.problems(), []);
  });
});
