// Pads in the browser against the real server: two editors see each other's text and carets,
// the French interface, "saved" only once the server stored the edits, read-only links,
// the chat, offline edits that survive a reload (IndexedDB) and sync on reconnect, and the
// pad list of the home page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eventually, launchBrowser, logIn, overflowsHorizontally, startMaille, text, watchPage, withScreenshots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startMaille({ name: 'pads', env: { MAILLE_PADS__ANONYMOUS_CREATION: 'true' } });
  browser = await launchBrowser();
  await server.createUser({ username: 'ana', email: 'ana@example.org', password: 'ana writes the minutes' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const editorText = (page) => page.getByTestId('pad-editor').evaluate((el) => {
  // The text of the document only (check boxes carry hidden labels).
  const clone = el.cloneNode(true);
  clone.querySelectorAll('label, .collaboration-carets__caret').forEach((n) => n.remove());
  return clone.textContent;
});

/** Watches a page for CSP violations reported to the document. */
async function watchCsp(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
    });
  });
}

/**
 * Opens a page in a fresh browser context, tracked for screenshots; with `link`, opens that pad
 * and waits for its editor.
 */
async function openPage(track, contextOptions, link) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...contextOptions });
  const page = track(await context.newPage());
  const watch = watchPage(page, server.url);
  await watchCsp(page);
  if (link) {
    await page.goto(link);
    await page.getByTestId('pad-editor').waitFor();
  }
  return { context, page, watch };
}

/** Ana logs in and creates a pad from her home page (in English). */
async function createPad(page) {
  await logIn(page, server, 'ana', 'ana writes the minutes');
  await page.getByTestId('language-select').selectOption('en');
  await page.getByTestId('create-pad').click();
  await page.waitForURL(/\/p\/[A-Za-z0-9_-]{22}$/);
  await page.getByTestId('pad-editor').waitFor();
}

/** Ana creates a pad from her home page and makes it open to anyone with the link. */
async function createSharedPad(page) {
  await createPad(page);
  await page.getByTestId('open-share').click();
  const dialog = page.getByTestId('share-dialog');
  await page.getByTestId('visibility-link').check();
  await page.getByTestId('share-save').click();
  await eventually(async () => (await text(page.getByTestId('share-success'))) !== '', 'visibility not saved');
  const editLink = await page.getByTestId('share-edit-link').inputValue();
  const readLink = await page.getByTestId('share-read-link').inputValue();
  await page.getByTestId('share-close').click();
  assert.equal(await dialog.isVisible(), false);
  return { editLink, readLink };
}

async function saved(page, message = 'the edits were not saved') {
  await eventually(async () => (await page.getByTestId('pad-save-state').getAttribute('data-state')) === 'saved', message, 15_000);
}

async function typeAtEnd(page, value) {
  await page.getByTestId('pad-editor').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(value);
}

let shared;

test('two people edit a pad together and see each other’s text and carets', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const a = await openPage(track, { locale: 'en-GB' });
    shared = await createSharedPad(a.page);

    // Bruno, not logged in, with a French browser, opens the edit link.
    const b = await openPage(track, { locale: 'fr-FR' }, shared.editLink);

    await typeAtEnd(a.page, 'Compte rendu de la réunion');
    await eventually(async () => (await editorText(b.page)).includes('Compte rendu de la réunion'), 'Bruno does not see Ana’s text');
    await typeAtEnd(b.page, ' – Bruno était là');
    await eventually(async () => (await editorText(a.page)).includes('Bruno était là'), 'Ana does not see Bruno’s text');
    assert.match(await editorText(b.page), /Compte rendu de la réunion – Bruno était là/);

    // Named carets: each sees the other's caret labelled with their name.
    await eventually(async () => (await a.page.locator('.collaboration-carets__label').allTextContents()).some((n) => /^Invité \d+$/.test(n)), 'no caret of Bruno on Ana’s page');
    await eventually(async () => (await b.page.locator('.collaboration-carets__label').allTextContents()).includes('ana'), 'no caret of Ana on Bruno’s page');

    // Presence: two people here.
    await eventually(async () => (await text(a.page.getByTestId('people-count'))) === '2', 'Ana does not see two people');

    // Authorship: each one's text is marked with their id and colour; the legend names them.
    const colours = await a.page.locator('[data-testid="pad-editor"] span.author').evaluateAll((spans) => [...new Set(spans.map((s) => getComputedStyle(s).backgroundColor))]);
    assert.equal(colours.length, 2, `two authors, two colours: ${colours}`);
    const authors = await a.page.locator('[data-testid="pad-editor"] span.author').evaluateAll((spans) => [...new Set(spans.map((s) => s.getAttribute('data-author')))]);
    assert.equal(authors.length, 2, `authors ${authors}`);
    const colour = await a.page.locator('[data-testid="pad-editor"] span.author').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(colour, 'rgba(0, 0, 0, 0)', 'authorship colours are not shown');
    await a.page.getByTestId('show-authors').uncheck();
    const hidden = await a.page.locator('[data-testid="pad-editor"] span.author').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(hidden, 'rgba(0, 0, 0, 0)', 'authorship colours do not hide');
    await a.page.getByTestId('show-authors').check();
    await eventually(async () => (await a.page.getByTestId('authors-legend').locator('li').count()) === 2, 'legend does not list both authors');

    // "Saved" once the server has stored everything.
    await saved(a.page);
    await saved(b.page);
    assert.equal(await text(a.page.getByTestId('pad-save-state')), 'Saved');
    assert.equal(await text(a.page.getByTestId('pad-connection')), 'Online');

    // Bruno's interface is in French.
    assert.equal(await text(b.page.getByTestId('pad-save-state')), 'Enregistré');
    assert.equal(await text(b.page.getByTestId('pad-connection')), 'En ligne');
    assert.equal(await b.page.getByTestId('tool-bold').getAttribute('aria-label'), 'Gras');
    assert.equal(await b.page.getByTestId('pad-editor').getAttribute('aria-label'), 'Texte du pad');

    // A formatting button applies to the other side too.
    await b.page.keyboard.press('Shift+Home');
    await b.page.getByTestId('tool-bold').click();
    await eventually(async () => (await a.page.locator('[data-testid="pad-editor"] strong').count()) > 0, 'bold did not reach Ana');

    for (const side of [a, b]) {
      assert.deepEqual(await side.page.evaluate(() => window.__cspViolations), []);
      assert.deepEqual(side.watch.problems(), []);
    }
    await a.context.close();
    await b.context.close();
  });
});

test('a read-only link shows the text live but cannot change it', async (t) => {
  await withScreenshots(t.name, async (track) => {
    assert.ok(shared, 'needs the pad of the first test');
    const a = await openPage(track, { locale: 'en-GB' }, shared.editLink);
    const r = await openPage(track, { locale: 'en-GB' });
    await r.page.goto(shared.readLink);
    await r.page.getByTestId('pad-read-only').waitFor();
    await eventually(async () => (await editorText(r.page)).includes('Compte rendu'), 'the reader does not see the text');
    assert.equal(await r.page.getByTestId('pad-editor').getAttribute('contenteditable'), 'false');
    assert.equal(await r.page.getByTestId('pad-toolbar').count(), 0);
    assert.equal(await r.page.getByTestId('share-edit-link').count(), 0);

    const before = await editorText(r.page);
    await r.page.getByTestId('pad-editor').click();
    await r.page.keyboard.type('vandalism');
    assert.equal(await editorText(r.page), before);

    // Edits still arrive live.
    await typeAtEnd(a.page, ' Suite.');
    await eventually(async () => (await editorText(r.page)).includes('Suite.'), 'the reader does not see new text');
    assert.doesNotMatch(await editorText(a.page), /vandalism/);
    assert.deepEqual(await r.page.evaluate(() => window.__cspViolations), []);
    await a.context.close();
    await r.context.close();
  });
});

test('a chat message reaches the other page and stays with the pad', async (t) => {
  await withScreenshots(t.name, async (track) => {
    assert.ok(shared, 'needs the pad of the first test');
    const a = await openPage(track, { locale: 'en-GB' }, shared.editLink);
    const b = await openPage(track, { locale: 'fr-FR' }, shared.editLink);

    await a.page.getByTestId('open-chat').click();
    await a.page.getByTestId('chat-input').fill('Salut, on commence ?');
    await a.page.keyboard.press('Enter');
    await eventually(async () => (await text(a.page.getByTestId('chat-messages'))).includes('Salut, on commence ?'), 'message not shown to its author');
    // Bruno's chat is closed: a badge counts the new message, then he reads it.
    await eventually(async () => (await b.page.getByTestId('chat-unread').count()) === 1, 'no unread badge');
    await b.page.getByTestId('open-chat').click();
    await eventually(async () => (await text(b.page.getByTestId('chat-messages'))).includes('Salut, on commence ?'), 'message did not reach Bruno');
    await saved(a.page, 'the chat message was not saved');

    // It is stored with the pad: a fresh visitor sees it.
    const c = await openPage(track, { locale: 'en-GB' });
    await c.page.goto(shared.readLink);
    await c.page.getByTestId('open-chat').click();
    await eventually(async () => (await text(c.page.getByTestId('chat-messages'))).includes('Salut, on commence ?'), 'the chat is not stored');
    await a.context.close();
    await b.context.close();
    await c.context.close();
  });
});

test('edits made offline survive a reload and reach the others on reconnection', async (t) => {
  await withScreenshots(t.name, async (track) => {
    assert.ok(shared, 'needs the pad of the first test');
    const a = await openPage(track, { locale: 'en-GB' }, shared.editLink);

    const b = await openPage(track, { locale: 'en-GB' });
    // The pad's WebSocket goes through this route: refused while `offline`, else to the server.
    let offline = false;
    const sockets = [];
    await b.page.routeWebSocket(/\/ws\/pads\//, (ws) => {
      sockets.push(ws);
      if (offline) ws.close({ code: 1001, reason: 'offline' });
      else ws.connectToServer();
    });
    await b.page.goto(shared.editLink);
    await b.page.getByTestId('pad-editor').waitFor();
    await saved(b.page, 'not saved before going offline');

    // Cut the connection (a lost network): the provider retries, and the route refuses.
    offline = true;
    for (const ws of sockets) await ws.close({ code: 1001, reason: 'offline' });
    await eventually(async () => (await b.page.getByTestId('pad-connection').getAttribute('data-state')) !== 'connected', 'still connected', 15_000);
    await typeAtEnd(b.page, ' Écrit hors ligne.');
    await eventually(async () => (await b.page.getByTestId('pad-save-state').getAttribute('data-state')) === 'unsaved', 'offline edit not shown as kept locally');
    assert.equal(await text(b.page.getByTestId('pad-save-state')), 'Kept on this device');
    // Give IndexedDB a moment to write, then reload while still offline.
    await b.page.waitForTimeout(500);
    await b.page.reload();
    await b.page.getByTestId('pad-editor').waitFor();
    await eventually(async () => (await editorText(b.page)).includes('Écrit hors ligne.'), 'the offline edit did not survive the reload');
    assert.doesNotMatch(await editorText(a.page), /Écrit hors ligne/);

    // Back online: the edit reaches Ana, and Bruno's page says saved.
    offline = false;
    await eventually(async () => (await editorText(a.page)).includes('Écrit hors ligne.'), 'the offline edit did not reach Ana', 20_000);
    await saved(b.page, 'not saved after reconnecting');
    // No duplicate.
    assert.equal((await editorText(a.page)).split('Écrit hors ligne.').length, 2);
    await a.context.close();
    await b.context.close();
  });
});

test('import Markdown and HTML, export plain text, Markdown and HTML', async (t) => {
  await withScreenshots(t.name, async (track) => {
    assert.ok(shared, 'needs the pad of the first test');
    const { context, page, watch } = await openPage(track, { locale: 'en-GB', acceptDownloads: true }, shared.editLink);
    await eventually(async () => (await editorText(page)).includes('Compte rendu'), 'the pad did not load');
    await page.getByTestId('pad-editor').click();
    await page.keyboard.press('Control+End');

    await page.getByTestId('open-transfer').click();
    await page.getByTestId('import-file').setInputFiles({
      name: 'ordre-du-jour.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('## Ordre du jour\n\n- [ ] Budget\n- [x] Local\n\n| Qui | Quoi |\n|---|---|\n| Ana | Compte rendu |\n'),
    });
    await page.getByTestId('import-submit').click();
    await eventually(async () => (await text(page.getByTestId('import-success'))) !== '', 'Markdown not imported');
    await page.getByTestId('import-file').setInputFiles({
      name: 'annexe.html',
      mimeType: 'text/html',
      buffer: Buffer.from('<h3>Annexe</h3><p>Texte <strong>important</strong> et <a href="https://chatons.org">un lien</a>.</p>'),
    });
    await page.getByTestId('import-submit').click();
    await eventually(async () => /annexe\.html/.test(await text(page.getByTestId('import-success'))), 'HTML not imported');
    assert.equal(await page.locator('[data-testid="pad-editor"] h2').filter({ hasText: 'Ordre du jour' }).count(), 1);
    assert.equal(await page.locator('[data-testid="pad-editor"] ul[data-type="taskList"] li').count(), 2);
    assert.equal(await page.locator('[data-testid="pad-editor"] table').count(), 1);
    assert.equal(await page.locator('[data-testid="pad-editor"] a[href="https://chatons.org"]').count(), 1);
    await saved(page, 'the import was not saved');

    const exported = {};
    for (const format of ['txt', 'md', 'html']) {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
      assert.match(file.suggestedFilename(), new RegExp(`\\.${format}$`));
      exported[format] = readFileSync(await file.path(), 'utf8');
    }
    assert.match(exported.txt, /Compte rendu de la réunion/);
    assert.match(exported.txt, /Annexe/);
    assert.match(exported.md, /## Ordre du jour/);
    assert.match(exported.html, /<strong>(<span[^>]*>)?important/);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(watch.problems(), []);
    await context.close();
  });
});

test('history: save a named version, read it, restore it for everyone', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const a = await openPage(track, { locale: 'en-GB' });
    await createPad(a.page);
    await typeAtEnd(a.page, 'Première version.');
    await saved(a.page);

    await a.page.getByTestId('open-history').click();
    await a.page.getByTestId('version-name').fill('Avant la réunion');
    await a.page.getByTestId('version-save').click();
    await eventually(async () => (await text(a.page.getByTestId('version-list'))).includes('Avant la réunion'), 'version not listed');

    await typeAtEnd(a.page, ' Ajout après coup.');
    await saved(a.page);
    await a.page.getByTestId('version-open').filter({ hasText: 'Avant la réunion' }).click();
    const view = a.page.getByTestId('version-view');
    await view.waitFor();
    await eventually(async () => (await text(view)).includes('Première version.'), 'version not shown');
    assert.doesNotMatch(await text(view), /Ajout après coup/);
    assert.equal(await view.getAttribute('contenteditable'), 'false');

    await a.page.getByTestId('version-restore').click();
    await eventually(async () => !(await editorText(a.page)).includes('Ajout après coup'), 'the version was not restored', 15_000);
    assert.match(await editorText(a.page), /Première version\./);
    assert.deepEqual(await a.page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(a.watch.problems(), []);
    await a.context.close();
  });
});

test('my pads: create, rename, move to the trash and restore', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const { context, page, watch } = await openPage(track, { locale: 'en-GB' });
    await logIn(page, server, 'ana', 'ana writes the minutes');
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('pad-list').waitFor();
    const before = await page.getByTestId('pad-item').count();
    assert.ok(before >= 1);

    await page.getByTestId('pad-rename').first().click();
    await page.getByTestId('pad-rename-input').fill('Réunion du bureau');
    await page.getByTestId('pad-rename-save').click();
    await eventually(async () => (await text(page.getByTestId('pad-link').first())) === 'Réunion du bureau', 'not renamed');

    await page.getByTestId('pad-delete').first().click();
    await page.getByTestId('pad-delete-confirm').click();
    await eventually(async () => (await page.getByTestId('pad-item').count()) === before - 1, 'not moved to the trash');
    await page.getByTestId('pads-trash-toggle').click();
    await page.getByTestId('pad-restore').first().click();
    await eventually(async () => (await page.getByTestId('pad-item').count()) === before, 'not restored');
    assert.equal(await text(page.getByTestId('pad-link').first()), 'Réunion du bureau');

    // The pad opens with its title, and the page fits a phone.
    await page.getByTestId('pad-link').first().click();
    await page.getByTestId('pad-editor').waitFor();
    assert.equal(await text(page.getByTestId('pad-title')), 'Réunion du bureau');
    await page.setViewportSize({ width: 360, height: 740 });
    assert.equal(await overflowsHorizontally(page), false, 'the pad page scrolls sideways at 360 px');
    await page.getByTestId('open-chat').click();
    assert.ok(await page.getByTestId('chat-input').isVisible());
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(watch.problems(), []);
    await context.close();
  });
});

// The home page offers "create an anonymous pad" when GET /api/instance says `anonymous_pads: true`
// (`pads.anonymous_creation`, on for this server).
test('a visitor without an account writes in a pad created anonymously', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const { context, page, watch } = await openPage(track, { locale: 'fr-FR' });
    await page.goto(`${server.url}/`);
    await page.getByTestId('home-title').waitFor();
    await page.getByTestId('create-anonymous-pad').click();
    await page.waitForURL(/\/p\/[A-Za-z0-9_-]{22}$/);
    await page.getByTestId('pad-editor').waitFor();
    const id = new URL(page.url()).pathname.split('/').at(-1);
    const created = await page.evaluate(async (padId) => (await fetch(`/api/pads/${padId}`)).json(), id);
    assert.equal(created.owner.kind, 'none');
    await typeAtEnd(page, 'Pad sans compte');
    await saved(page);
    // Whoever holds the edit link manages an anonymous pad: only "link" or "public".
    await page.getByTestId('open-share').click();
    assert.equal(await page.getByTestId('visibility-private').count(), 0);
    assert.equal(await page.getByTestId('visibility-link').isChecked(), true);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(watch.problems(), []);
    await context.close();
  });
});
