// Video rooms in the browser against the real server and its SFU: two Chromium pages with a
// fake camera and microphone join a room and each decodes the other's video (read from
// RTCPeerConnection.getStats()); a screen share and chat messages reach the other page; the
// moderator removes someone; a dropped connection comes back by itself; a room with a
// password and a lobby; a phone-sized screen; a room created without an account.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, logIn, overflowsHorizontally, startMaille, text, withScreenshots } from './harness.mjs';
import { decodesVideoFrom, myId, ROOM_BROWSER_ARGS, roomPages } from './rooms-pages.mjs';

let server;
let browser;
/** The page helpers of rooms-pages.mjs, bound to this file's server and browser once both are up. */
let openPage;
let createRoom;
let joinFromPrejoin;

before(async () => {
  server = await startMaille({
    name: 'rooms',
    env: {
      MAILLE_ROOMS__ANONYMOUS_ROOMS: 'true',
      // Media on loopback only, on ports the system picks (tests run side by side).
      MAILLE_ROOMS__UDP_ADDRESS: '127.0.0.1',
      MAILLE_ROOMS__UDP_PORT_MIN: '0',
      MAILLE_ROOMS__UDP_PORT_MAX: '0',
    },
  });
  browser = await launchBrowser({ args: ROOM_BROWSER_ARGS });
  ({ openPage, createRoom, joinFromPrejoin } = roomPages({ server, browser }));
  await server.createUser({ username: 'ana', email: 'ana@example.org', password: 'ana runs the meeting' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two people join a room, see each other, share a screen, chat, and the moderator removes one', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const ana = await openPage(track);
    await logIn(ana.page, server, 'ana', 'ana runs the meeting');
    const link = await createRoom(ana.page, { name: 'Weekly meeting' });
    assert.equal(await text(ana.page.getByTestId('room-title')), 'Join “Weekly meeting”');
    await joinFromPrejoin(ana.page);
    await ana.page.getByTestId('room-call').waitFor();

    // Bruno, not logged in, on a phone, opens the link.
    const bruno = await openPage(track, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await bruno.page.goto(link);
    await joinFromPrejoin(bruno.page, { name: 'Bruno' });
    await bruno.page.getByTestId('room-call').waitFor();

    const anaId = await myId(ana.page);
    const brunoId = await myId(bruno.page);
    assert.ok(anaId && brunoId && anaId !== brunoId, `participant ids ${anaId} ${brunoId}`);

    // Each sees the other's tile, and decodes the other's camera.
    await ana.page.locator(`[data-testid="tile"][data-participant="${brunoId}"][data-source="camera"] video`).waitFor({ timeout: 20_000 });
    await bruno.page.locator(`[data-testid="tile"][data-participant="${anaId}"][data-source="camera"] video`).waitFor({ timeout: 20_000 });
    await decodesVideoFrom(ana.page, brunoId, 'camera', 'Ana');
    await decodesVideoFrom(bruno.page, anaId, 'camera', 'Bruno');

    // Sound arrives too: an audio element plays the other's microphone.
    await eventually(async () => (await ana.page.locator(`audio[data-participant="${brunoId}"]`).count()) === 1, 'Ana has no audio from Bruno');

    // The quality indicator has measured the connection.
    await eventually(async () => (await ana.page.getByTestId('room-quality').getAttribute('data-level')) !== 'unknown', 'no quality measured', 15_000);

    // Simulcast: Ana's camera goes out in three layers.
    const rids = await ana.page.evaluate(() =>
      window.__mailleRoom.sides.camera.sender.getParameters().encodings.map((e) => `${e.rid}/${e.scaleResolutionDownBy}`),
    );
    assert.deepEqual(rids, ['q/4', 'h/2', 'f/1']);

    // Ana shares her screen: Bruno sees and decodes it.
    await ana.page.getByTestId('toggle-screen').click();
    await bruno.page.locator(`[data-testid="tile"][data-participant="${anaId}"][data-source="screen"] video`).waitFor({ timeout: 20_000 });
    await decodesVideoFrom(bruno.page, anaId, 'screen', 'Bruno');
    await ana.page.getByTestId('toggle-screen').click();
    await eventually(
      async () => (await bruno.page.locator(`[data-testid="tile"][data-participant="${anaId}"][data-source="screen"]`).count()) === 0,
      'the screen share did not stop on Bruno’s page',
      15_000,
    );
    // Her camera carries on after her connection was renegotiated twice.
    await decodesVideoFrom(bruno.page, anaId, 'camera', 'Bruno, after the screen share');

    // Chat: Bruno writes, Ana sees the unread count then the message.
    await bruno.page.getByTestId('open-chat').click();
    await bruno.page.getByTestId('room-chat-input').fill('Hello from my phone');
    await bruno.page.getByTestId('room-chat-send').click();
    await eventually(async () => (await text(ana.page.getByTestId('chat-unread'))).startsWith('1'), 'Ana has no unread message');
    await ana.page.getByTestId('open-chat').click();
    await eventually(async () => (await text(ana.page.getByTestId('room-chat-messages'))).includes('Hello from my phone'), 'Ana does not see Bruno’s message');
    await eventually(async () => (await text(bruno.page.getByTestId('room-chat-messages'))).includes('Hello from my phone'), 'Bruno does not see his own message');

    // Bruno's connection drops: he comes back by himself, and Ana sees his video again.
    await bruno.page.getByTestId('room-panel').getByRole('button').first().click();
    await bruno.page.evaluate(() => window.__sockets.at(-1).close());
    const brunoAgain = await eventually(async () => {
      const id = await myId(bruno.page);
      const phase = await bruno.page.getByTestId('room-call').getAttribute('data-phase');
      return id && id !== brunoId && phase === 'call' ? id : null;
    }, 'Bruno did not join again', 20_000);
    await eventually(async () => (await ana.page.locator(`[data-testid="tile"][data-participant="${brunoId}"]`).count()) === 0, 'Bruno’s old tile stayed');
    await decodesVideoFrom(ana.page, brunoAgain, 'camera', 'Ana, after Bruno came back');
    // Ana's publish connection was renegotiated for her screen share, and her browser no longer
    // names her camera's layers in its packets: the new Bruno still gets her camera.
    await t.test('Bruno decodes Ana’s camera after coming back', () =>
      decodesVideoFrom(bruno.page, anaId, 'camera', 'Bruno, after coming back'));

    // Raise hand: Ana sees it.
    await bruno.page.getByTestId('toggle-hand').click();
    await ana.page.locator(`[data-testid="tile"][data-participant="${brunoAgain}"] [data-testid="tile-hand"]`).waitFor();

    // On the phone, nothing overflows sideways.
    assert.equal(await overflowsHorizontally(bruno.page), false, 'the call overflows a phone screen');

    // Ana, moderator, removes Bruno.
    await ana.page.getByTestId('open-people').click();
    const brunoRow = ana.page.locator(`[data-testid="room-person"][data-participant="${brunoAgain}"]`);
    await brunoRow.getByTestId('mod-remove').click();
    await brunoRow.getByTestId('mod-remove-confirm').click();
    await bruno.page.getByTestId('room-ended').waitFor({ timeout: 15_000 });
    assert.equal(await bruno.page.getByTestId('room-ended').getAttribute('data-reason'), 'removed');
    await eventually(async () => (await ana.page.locator('[data-testid="room-person"]').count()) === 1, 'Bruno is still listed');
    await eventually(async () => (await ana.page.locator(`[data-testid="tile"][data-participant="${brunoAgain}"]`).count()) === 0, 'Bruno’s tile stayed');

    assert.deepEqual(ana.watch.problems(), []);
    assert.deepEqual(bruno.watch.problems(), []);
    await ana.context.close();
    await bruno.context.close();
  });
});

test('a room with a password and a lobby: a wrong password is refused, the moderator admits', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const ana = await openPage(track);
    await logIn(ana.page, server, 'ana', 'ana runs the meeting');
    const link = await createRoom(ana.page, { name: 'Board', password: 'open sesame', lobby: true });
    // The owner moderates the room: no password asked, no lobby.
    assert.equal(await ana.page.getByTestId('prejoin-password').count(), 0);
    await joinFromPrejoin(ana.page);
    await ana.page.getByTestId('room-call').waitFor();

    const camille = await openPage(track, { locale: 'fr-FR' });
    await camille.page.goto(link);
    await joinFromPrejoin(camille.page, { name: 'Camille', password: 'wrong' });
    await eventually(async () => (await text(camille.page.getByTestId('prejoin-error'))) !== '', 'a wrong password was not refused');
    assert.equal(await text(camille.page.getByTestId('prejoin-error')), 'Ce mot de passe n’est pas le bon.');

    await camille.page.getByTestId('prejoin-password').fill('open sesame');
    await camille.page.getByTestId('prejoin-join').click();
    await camille.page.getByTestId('room-lobby').waitFor();

    // Ana is told someone waits, and admits her.
    await ana.page.getByTestId('room-lobby-waiting').waitFor();
    await ana.page.getByTestId('open-people').click();
    await ana.page.getByTestId('lobby-admit').click();
    await camille.page.getByTestId('room-call').waitFor({ timeout: 15_000 });
    const camilleId = await myId(camille.page);
    await ana.page.locator(`[data-testid="tile"][data-participant="${camilleId}"]`).waitFor();

    // The moderator ends the meeting for everyone.
    await ana.page.getByTestId('mod-end').click();
    await ana.page.getByTestId('mod-end-confirm').click();
    await camille.page.getByTestId('room-ended').waitFor({ timeout: 15_000 });
    assert.equal(await camille.page.getByTestId('room-ended').getAttribute('data-reason'), 'ended');

    assert.deepEqual(ana.watch.problems(), []);
    assert.deepEqual(camille.watch.problems(), []);
    await ana.context.close();
    await camille.context.close();
  });
});

test('a visitor creates a room from the home page when the instance allows it', async (t) => {
  await withScreenshots(t.name, async (track) => {
    const visitor = await openPage(track);
    await visitor.page.goto(`${server.url}/`);
    await visitor.page.getByTestId('create-anonymous-room').click();
    await visitor.page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{22}$/);
    await joinFromPrejoin(visitor.page, { name: 'Dominique' });
    await visitor.page.getByTestId('room-call').waitFor();
    // The creator moderates the anonymous room (its key is kept by this browser).
    await eventually(async () => (await visitor.page.evaluate(() => window.__mailleRoom.state.role)) === 'moderator', 'the creator is not moderator');
    await visitor.page.getByTestId('leave').click();
    await visitor.page.getByTestId('room-ended').waitFor();
    assert.deepEqual(visitor.watch.problems(), []);
    await visitor.context.close();
  });
});
