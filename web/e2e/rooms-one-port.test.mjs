// Video rooms with every participant's media on ONE UDP port (`rooms.udp_mux_port`), in real
// browsers against the real server: two Chromium pages with a fake camera join a room, each
// decodes the other's camera, and each page's own WebRTC statistics say that both its
// connections (publish and subscribe) carry their media to the shared port. The Rust tests
// check the routing and the SDP rewriting piece by piece; only a browser shows that a real
// ICE agent, told the rewritten candidates, picks the shared port and gets media through it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { eventually, launchBrowser, startMaille, withScreenshots } from './harness.mjs';
import { decodesVideoFrom, myId, ROOM_BROWSER_ARGS, roomPages } from './rooms-pages.mjs';

/** A UDP port that was free a moment ago on the loopback interface. */
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * What `page`'s `side` connection ('publish' or 'subscribe') uses, from its getStats(): the
 * selected candidate pair (the transport's `selectedCandidatePairId`, or else the succeeded
 * pair that is nominated) with its remote candidate, and every remote candidate the browser
 * knows of. `null` while no pair is selected yet.
 */
function selectedPair(page, side) {
  return page.evaluate(async (side) => {
    const pc = window.__mailleRoom?.sides?.[side];
    if (!pc) return null;
    const report = await pc.getStats();
    const entries = [...report.values()];
    let pair = null;
    for (const entry of entries) {
      if (entry.type === 'transport' && entry.selectedCandidatePairId) pair = report.get(entry.selectedCandidatePairId) ?? null;
    }
    // Not every browser names the selected pair on the transport.
    pair ??= entries.find((e) => e.type === 'candidate-pair' && e.state === 'succeeded' && (e.nominated || e.selected)) ?? null;
    if (!pair || pair.state !== 'succeeded') return null;
    const remote = report.get(pair.remoteCandidateId);
    if (!remote || remote.type !== 'remote-candidate') return null;
    return {
      state: pair.state,
      remote: { address: remote.address, port: remote.port, candidateType: remote.candidateType, protocol: remote.protocol },
      remotePorts: entries.filter((e) => e.type === 'remote-candidate').map((e) => e.port),
    };
  }, side);
}

let server;
let browser;
let muxPort;
let pages;

before(async () => {
  muxPort = await freeUdpPort();
  server = await startMaille({
    name: 'rooms-one-port',
    env: {
      MAILLE_ROOMS__ANONYMOUS_ROOMS: 'true',
      // One port for all media, on loopback: the server tells browsers 127.0.0.1 and that port.
      MAILLE_ROOMS__UDP_ADDRESS: '127.0.0.1',
      MAILLE_ROOMS__UDP_MUX_PORT: String(muxPort),
    },
  });
  browser = await launchBrowser({ args: ROOM_BROWSER_ARGS });
  pages = roomPages({ server, browser });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two people in a room send and receive their media through the one shared UDP port', async (t) => {
  await withScreenshots(t.name, async (track) => {
    // A visitor creates the room from the home page (the instance allows rooms without an account).
    const dominique = await pages.openPage(track);
    await dominique.page.goto(`${server.url}/`);
    await dominique.page.getByTestId('create-anonymous-room').click();
    await dominique.page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{22}$/);
    const link = dominique.page.url();
    await pages.joinFromPrejoin(dominique.page, { name: 'Dominique' });
    await dominique.page.getByTestId('room-call').waitFor();

    // Another visitor opens the link.
    const eli = await pages.openPage(track);
    await eli.page.goto(link);
    await pages.joinFromPrejoin(eli.page, { name: 'Eli' });
    await eli.page.getByTestId('room-call').waitFor();

    const dominiqueId = await myId(dominique.page);
    const eliId = await myId(eli.page);
    assert.ok(dominiqueId && eliId && dominiqueId !== eliId, `participant ids ${dominiqueId} ${eliId}`);

    // Media flows both ways: each decodes the other's camera.
    await decodesVideoFrom(dominique.page, eliId, 'camera', 'Dominique');
    await decodesVideoFrom(eli.page, dominiqueId, 'camera', 'Eli');

    // Both connections of both pages go to the shared port: the browser's selected pair names
    // it, and the server told the browser of no other port.
    for (const [who, { page }] of [['Dominique', dominique], ['Eli', eli]]) {
      for (const side of ['publish', 'subscribe']) {
        const used = await eventually(() => selectedPair(page, side), `${who}: no selected candidate pair on the ${side} connection`);
        assert.equal(used.remote.port, muxPort, `${who}'s ${side} connection: ${JSON.stringify(used)}`);
        assert.equal(used.remote.address, '127.0.0.1', `${who}'s ${side} connection: ${JSON.stringify(used)}`);
        assert.equal(used.remote.protocol, 'udp', `${who}'s ${side} connection: ${JSON.stringify(used)}`);
        // The browser reached the candidate the server signalled, not an address it only
        // learnt from incoming checks (a peer-reflexive candidate): the rewritten SDP was right.
        assert.equal(used.remote.candidateType, 'host', `${who}'s ${side} connection: ${JSON.stringify(used)}`);
        assert.deepEqual([...new Set(used.remotePorts)], [muxPort], `${who}'s ${side} connection knows other server ports: ${JSON.stringify(used)}`);
      }
    }

    assert.deepEqual(dominique.watch.problems(), []);
    assert.deepEqual(eli.watch.problems(), []);
    await dominique.context.close();
    await eli.context.close();
  });
});
