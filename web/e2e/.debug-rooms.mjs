import { launchBrowser, startMaille } from './harness.mjs';
const server = await startMaille({ name: 'roomsdebug', env: { MAILLE_ROOMS__ANONYMOUS_ROOMS: 'true', MAILLE_ROOMS__UDP_ADDRESS: '127.0.0.1', MAILLE_ROOMS__UDP_PORT_MIN: '0', MAILLE_ROOMS__UDP_PORT_MAX: '0', RUST_LOG: 'warn' } });
const browser = await launchBrowser({ args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection'] });
await server.createUser({ username: 'ana', email: 'ana@example.org', password: 'ana runs the meeting' });
const pages = [];
async function open(name, link) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.addInitScript(() => { window.__mailleTest = true; const send = WebSocket.prototype.send; WebSocket.prototype.send = function (d) { const m = JSON.parse(d); if (m.type !== 'candidate') console.log('WS> ' + (m.type === 'offer' || m.type === 'answer' ? m.type + ' ' + m.pc : d)); return send.call(this, d); }; });
  page.on('console', (m) => console.log(`[${name}] ${m.type()} ${m.text().slice(0, 300)}`));
  page.on('websocket', (ws) => ws.on('framereceived', (f) => { try { const m = JSON.parse(f.payload); if (m.type !== 'candidate') console.log(`[${name}] WS< ${m.type} ${m.pc ?? ''} ${m.type === 'offer' ? JSON.stringify(m.tracks) : ''}`); } catch {} }));
  pages.push(page);
  return page;
}
const ana = await open('ana');
await ana.goto(`${server.url}/login`);
await ana.getByTestId('login-login').fill('ana');
await ana.getByTestId('login-password').fill('ana runs the meeting');
await ana.getByTestId('login-submit').click();
await ana.getByTestId('home-title').waitFor();
await ana.getByTestId('create-room-open').click();
await ana.getByTestId('room-name').fill('Debug');
await ana.getByTestId('room-create-submit').click();
await ana.waitForURL(/\/rooms\//);
const link = ana.url();
await ana.locator('[data-testid="room-prejoin"] video').waitFor();
await ana.getByTestId('prejoin-join').click();
await ana.getByTestId('room-call').waitFor();
const bob = await open('bob');
await bob.goto(link);
await bob.getByTestId('prejoin-name').fill('Bob');
await bob.locator('[data-testid="room-prejoin"] video').waitFor();
await bob.getByTestId('prejoin-join').click();
await bob.getByTestId('room-call').waitFor();
await new Promise((r) => setTimeout(r, 6000));
for (const [name, page] of [['ana', ana], ['bob', bob]]) {
  const info = await page.evaluate(async () => {
    const room = window.__mailleRoom;
    const s = room.sides;
    const stats = [];
    (await s.subscribe.getStats()).forEach((e) => { if (e.type === 'inbound-rtp') stats.push({ kind: e.kind, mid: e.mid, trackIdentifier: e.trackIdentifier, packets: e.packetsReceived, frames: e.framesDecoded, bytes: e.bytesReceived }); });
    const pstats = [];
    (await s.publish.getStats()).forEach((e) => { if (e.type === 'outbound-rtp') pstats.push({ kind: e.kind, rid: e.rid, packets: e.packetsSent, active: e.active, q: e.qualityLimitationReason, frames: e.framesEncoded }); });
    return {
      me: room.state.me, participants: room.state.participants.map((p) => p.id + ':' + p.name),
      remote: [...room.remote.keys()],
      subTracks: s.subscribeTracks,
      transceivers: s.subscribe.getTransceivers().map((t) => ({ mid: t.mid, dir: t.direction, cur: t.currentDirection, track: t.receiver.track?.id, kind: t.receiver.track?.kind })),
      pubState: s.publish.connectionState, subState: s.subscribe.connectionState,
      stats, pstats,
      remoteSdp: s.subscribe.remoteDescription?.sdp.split('\r\n').filter((l) => /^(m=|a=mid|a=sendonly|a=recvonly|a=inactive|a=ssrc|a=msid|a=rtpmap)/.test(l)).slice(0, 40),
      pubAnswer: s.publish.remoteDescription?.sdp.split('\r\n').filter((l) => /^(m=|a=mid|a=simulcast|a=rid|a=recvonly|a=inactive|a=rtpmap)/.test(l)),
    };
  });
  console.log(name, JSON.stringify(info, null, 1));
}
await browser.close();
await server.stop({ keep: true });
