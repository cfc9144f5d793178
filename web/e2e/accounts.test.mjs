// Scenario 1: two people sign up, one creates a space and invites the other with a link.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, overflowsHorizontally, startMaille, watchPage, withScreenshots } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startMaille({ name: 'accounts' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Signs up in the UI, opens the verification link from the outbox, and logs in. */
async function signUpVerifyAndLogIn(page, { username, email, password, displayName }) {
  await page.getByTestId('signup-username').fill(username);
  await page.getByTestId('signup-email').fill(email);
  await page.getByTestId('signup-password').fill(password);
  await page.getByTestId('signup-display-name').fill(displayName);
  await page.getByTestId('signup-submit').click();
  const done = page.getByTestId('signup-done');
  await done.waitFor();
  assert.match(await done.textContent(), new RegExp(email.replace('.', '\\.')));

  const mail = await server.waitForEmail({ to: email, linkPart: '/verify-email?token=' });
  assert.ok(mail.link.startsWith(`${server.url}/verify-email?token=`), mail.link);
  await page.goto(mail.link);
  await page.getByTestId('verify-done').waitFor();

  await page.getByTestId('verify-login').click();
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-login').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

test('sign up, verify, log in, create a space, invite by link, join, log out', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const aliceContext = await browser.newContext({ locale: 'en-GB' });
    const alice = track(await aliceContext.newPage());
    const aliceWatch = watchPage(alice, server.url);

    // Alice signs up, verifies her address and logs in.
    await alice.goto(`${server.url}/`);
    await alice.getByTestId('home-signup').click();
    await alice.waitForURL(/\/signup$/);
    await signUpVerifyAndLogIn(alice, {
      username: 'alice',
      email: 'alice@example.org',
      password: 'correct horse battery staple',
      displayName: 'Alice Martin',
    });
    await alice.waitForURL(`${server.url}/`);
    assert.equal(await alice.getByTestId('home-title').textContent(), 'Hello, Alice Martin');
    await alice.getByTestId('spaces-empty').waitFor();
    await alice.getByTestId('pads-empty').waitFor();

    // She creates a space; its handle is suggested from its name.
    await alice.getByTestId('create-space').click();
    await alice.getByTestId('space-name').fill('Club Photo Lyon');
    assert.equal(await alice.getByTestId('space-handle').inputValue(), 'club_photo_lyon');
    await alice.getByTestId('space-description').fill('Sorties photo le samedi.');
    await alice.getByTestId('new-space-submit').click();
    await alice.waitForURL(`${server.url}/s/club_photo_lyon`);
    assert.equal(await alice.getByTestId('space-title').textContent(), 'Club Photo Lyon');
    const aliceRow = alice.locator('[data-testid="member"][data-username="alice"]');
    await aliceRow.waitFor();
    assert.equal(await aliceRow.getByTestId('member-role').textContent(), 'Owner');

    // She creates an invitation link.
    await alice.getByTestId('create-invitation-link').click();
    const linkField = alice.getByTestId('invitation-link');
    await linkField.waitFor();
    const invitationLink = await linkField.inputValue();
    assert.match(invitationLink, new RegExp(`^${server.url.replace(/\./g, '\\.')}/join/[^/?#]+$`));
    await alice.getByTestId('invitation-list').waitFor();

    // Bob, on a phone-sized screen, opens the link before having an account.
    const bobContext = await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 740 } });
    const bob = track(await bobContext.newPage());
    const bobWatch = watchPage(bob, server.url);
    await bob.goto(invitationLink);
    await bob.getByTestId('join-signup').waitFor();
    assert.equal(await bob.getByTestId('join-title').textContent(), 'Join Club Photo Lyon');
    assert.equal(await overflowsHorizontally(bob), false, 'the join page scrolls sideways at 360 px');
    await bob.getByTestId('join-signup').click();
    await bob.waitForURL(/\/signup\?next=/);
    await signUpVerifyAndLogIn(bob, {
      username: 'bob',
      email: 'bob@example.org',
      password: 'another long passphrase',
      displayName: 'Bob Durand',
    });

    // After logging in he is back on the invitation, and accepts it.
    await bob.waitForURL(`${server.url}${new URL(invitationLink).pathname}`);
    await bob.getByTestId('accept-invitation').click();
    await bob.waitForURL(`${server.url}/s/club_photo_lyon`);
    const bobRow = bob.locator('[data-testid="member"][data-username="bob"]');
    await bobRow.waitFor();
    assert.equal(await bobRow.getByTestId('member-role').textContent(), 'Member');
    assert.equal(await bob.getByTestId('my-role').textContent(), 'your role: Member');
    assert.equal(await overflowsHorizontally(bob), false, 'the space page scrolls sideways at 360 px');
    // A plain member has no invitation controls.
    assert.equal(await bob.getByTestId('create-invitation-link').count(), 0);

    // Alice sees Bob in the member list.
    await alice.reload();
    const bobSeenByAlice = alice.locator('[data-testid="member"][data-username="bob"]');
    await bobSeenByAlice.waitFor();
    assert.match(await bobSeenByAlice.textContent(), /Bob Durand/);
    assert.equal(await alice.getByTestId('member').count(), 2);

    // Alice logs out: the server forgets her session and the UI shows the logged-out home.
    await alice.getByTestId('logout').click();
    await alice.getByTestId('home-login').waitFor();
    const status = await alice.evaluate(async () => (await fetch('/api/session')).status);
    assert.equal(status, 401);
    await alice.goto(`${server.url}/settings`);
    await alice.waitForURL(/\/login\?next=%2Fsettings/);

    assert.deepEqual(aliceWatch.problems(), []);
    assert.deepEqual(bobWatch.problems(), []);
  });
});

test('wrong password, unknown token and unknown pages are reported', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = track(await context.newPage());
    const watch = watchPage(page, server.url);

    await page.goto(`${server.url}/login`);
    await page.getByTestId('login-login').fill('alice');
    await page.getByTestId('login-password').fill('not the password');
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await eventually(async () => (await error.textContent()).trim() !== '', 'no login error shown');
    assert.equal((await error.textContent()).trim(), 'Wrong username, email address or password.');
    assert.equal(await error.getAttribute('role'), 'alert');
    assert.equal(await page.getByTestId('login-password').getAttribute('aria-invalid'), 'true');

    await page.goto(`${server.url}/verify-email?token=not-a-real-token`);
    const verifyError = page.getByTestId('verify-error');
    await eventually(async () => (await verifyError.textContent()).trim() !== '', 'no verification error shown');
    assert.match(await verifyError.textContent(), /not valid/);

    await page.goto(`${server.url}/join/not-a-real-token`);
    await page.getByTestId('join-invalid').waitFor();

    await page.goto(`${server.url}/no/such/page`);
    await page.getByTestId('not-found').waitFor();
    assert.deepEqual(watch.problems(), []);
  });
});
