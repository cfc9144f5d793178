/**
 * Page helpers of the video-room browser tests (rooms.test.mjs, rooms-one-port.test.mjs):
 * open a page allowed the fake camera and microphone, create and join a room, and read what
 * the room's client decodes. Each test file starts its own server and browser, so the helpers
 * are made for them: `roomPages({ server, browser })`.
 */
import { eventually, watchPage } from './harness.mjs';

/** What `launchBrowser` is given for a room test. */
export const ROOM_BROWSER_ARGS = [
  // A fake camera (a moving test pattern), microphone (a beep) and screen, allowed without a prompt.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  // Chromium leaves loopback out of ICE unless told; the SFU listens on 127.0.0.1 here.
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

/** The room helpers for pages of `browser` on `server` (as `startMaille` returns it). */
export function roomPages({ server, browser }) {
  /** Opens a page in a fresh browser context allowed the fake camera and microphone, tracked for screenshots. */
  async function openPage(track, contextOptions = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', ...contextOptions });
    await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
    const page = track(await context.newPage());
    // Lets the test reach the room's client (its peer connections) through window.__mailleRoom.
    await page.addInitScript(() => {
      window.__mailleTest = true;
      // Keeps the page's WebSockets, so that the test can cut one as a network drop would.
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
        }
      };
    });
    page.on('console', (message) => {
      if (process.env.ROOMS_E2E_LOG) console.log(`[page] ${message.type()} ${message.text()}`);
    });
    const watch = watchPage(page, server.url);
    return { context, page, watch };
  }

  /** Ana creates a room from her home page; returns its address. */
  async function createRoom(page, { name, password = '', lobby = false }) {
    await page.goto(`${server.url}/`);
    await page.getByTestId('create-room-open').click();
    await page.getByTestId('room-name').fill(name);
    if (password) await page.getByTestId('room-password').fill(password);
    if (lobby) await page.getByTestId('room-lobby').check();
    await page.getByTestId('room-create-submit').click();
    await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{22}$/);
    await page.getByTestId('room-prejoin').waitFor();
    return page.url();
  }

  async function joinFromPrejoin(page, { name, password } = {}) {
    await page.getByTestId('room-prejoin').waitFor();
    if (name !== undefined) await page.getByTestId('prejoin-name').fill(name);
    if (password !== undefined) await page.getByTestId('prejoin-password').fill(password);
    // Wait for the preview: the fake camera is open before joining.
    await page.locator('[data-testid="room-prejoin"] video').waitFor();
    await page.getByTestId('prejoin-join').click();
  }

  return { openPage, createRoom, joinFromPrejoin, myId, framesFrom, decodesVideoFrom };
}

// These three read only the page they are given: exported as they are too.

export const myId = (page) => page.evaluate(() => window.__mailleRoom?.state.me ?? null);

/**
 * Frames decoded so far of the video arriving from `participantId`'s `source`, read from the
 * subscribe connection's getStats() (the inbound-rtp entry of that receiver's track).
 */
export function framesFrom(page, participantId, source) {
  return page.evaluate(
    async ({ participantId, source }) => {
      const room = window.__mailleRoom;
      const media = room?.remote.get(`${participantId}:${source}`);
      if (!room?.sides || !media) return -1;
      const report = await room.sides.subscribe.getStats(media.track);
      let frames = -1;
      report.forEach((entry) => {
        if (entry.type === 'inbound-rtp' && entry.kind === 'video') frames = Math.max(frames, entry.framesDecoded ?? 0);
      });
      return frames;
    },
    { participantId, source },
  );
}

/** Waits until `page` decodes video from the other's `source`, and keeps decoding it. */
export async function decodesVideoFrom(page, participantId, source, who) {
  const first = await eventually(async () => {
    const frames = await framesFrom(page, participantId, source);
    return frames > 0 ? frames : 0;
  }, `${who}: no ${source} frames decoded`, 20_000);
  await eventually(async () => (await framesFrom(page, participantId, source)) > first, `${who}: ${source} frames stopped increasing`, 10_000);
}
