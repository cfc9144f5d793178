import { beforeEach, describe, expect, it } from 'vitest';
import { RoomClient, type RoomEnvironment } from './client';
import { FakeMediaStream, FakePeerConnection, FakeSocket, FakeTrack, ManualClock } from './fakes';
import { Backoff } from './reconnect';

(globalThis as unknown as { MediaStream: unknown }).MediaStream = FakeMediaStream;

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const joined = (id = 'p_me', extra: Record<string, unknown> = {}) => ({
  type: 'joined',
  participant_id: id,
  role: 'participant',
  room: { id: 'room', name: 'Room', locked: false, lobby: false, max_participants: 50 },
  participants: [{ id, name: 'Me' }],
  ice_servers: [{ urls: ['turn:maille.example:3478'], username: 'u', credential: 'c' }],
  chat: [],
  ...extra,
});

function setup() {
  const clock = new ManualClock();
  const sockets: FakeSocket[] = [];
  FakePeerConnection.created = [];
  const env: RoomEnvironment = {
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    createPeerConnection: (config) => new FakePeerConnection(config) as unknown as RTCPeerConnection,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
  };
  const client = new RoomClient('room', 'ws://host/ws/rooms/room', env, new Backoff(1000, 15_000, () => 0.5));
  const microphone = new FakeTrack('audio');
  const camera = new FakeTrack('video');
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  const pcs = () => FakePeerConnection.created.slice(-2) as [FakePeerConnection, FakePeerConnection];
  /** Joins and gets into the call, with the publish offer answered. */
  async function inCall(password = '') {
    client.join('  Camille ', password, { microphone: microphone as unknown as MediaStreamTrack, camera: camera as unknown as MediaStreamTrack });
    last().open();
    last().receive(joined());
    await settle();
    last().receive({ type: 'answer', pc: 'publish', sdp: 'answer' });
    await settle();
  }
  return { clock, sockets, client, last, pcs, inCall, microphone, camera };
}

describe('RoomClient', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('joins with a trimmed name and the password, then publishes microphone and simulcast camera', async () => {
    t.client.join('  Camille ', 'pw', { microphone: t.microphone as unknown as MediaStreamTrack, camera: t.camera as unknown as MediaStreamTrack });
    expect(t.client.state.phase).toBe('connecting');
    t.last().open();
    expect(t.last().sent).toEqual([{ type: 'join', name: 'Camille', password: 'pw' }]);
    t.last().receive(joined());
    await settle();
    expect(t.client.state.phase).toBe('call');
    const [publish, subscribe] = t.pcs();
    expect(publish.config).toMatchObject({ iceServers: [{ urls: ['turn:maille.example:3478'], username: 'u', credential: 'c' }] });
    expect(subscribe.closed).toBe(false);
    const [mic, cam] = publish.transceivers;
    expect(mic?.sender.track).toBe(t.microphone);
    expect(cam?.sendEncodings).toEqual([
      expect.objectContaining({ rid: 'q', scaleResolutionDownBy: 4 }),
      expect.objectContaining({ rid: 'h', scaleResolutionDownBy: 2 }),
      expect.objectContaining({ rid: 'f', scaleResolutionDownBy: 1 }),
    ]);
    expect(t.last().ofType('offer')).toEqual([
      {
        type: 'offer',
        pc: 'publish',
        sdp: 'offer 1',
        tracks: [
          { mid: '0', source: 'microphone' },
          { mid: '1', source: 'camera' },
        ],
      },
    ]);
  });

  it('sends nothing but join before it is admitted', async () => {
    t.client.join('Camille', '', {});
    t.last().open();
    t.last().receive({ type: 'lobby' });
    expect(t.client.state.phase).toBe('lobby');
    expect(t.client.sendChat('hello')).toBe(false);
    t.client.raiseHand(true);
    expect(t.last().sent.map((m) => m.type)).toEqual(['join']);
    // Without devices it tells the others it is muted, once admitted.
    t.last().receive(joined());
    await settle();
    expect(t.last().ofType('mute')).toEqual([
      { type: 'mute', source: 'microphone', muted: true },
      { type: 'mute', source: 'camera', muted: true },
    ]);
  });

  it('answers subscribe offers and maps each arriving track to its participant and source', async () => {
    await t.inCall();
    const [, subscribe] = t.pcs();
    t.last().receive({ type: 'candidate', pc: 'subscribe', candidate: { candidate: 'candidate:early', sdpMid: '0', sdpMLineIndex: 0 } });
    await settle();
    expect(subscribe.candidates).toEqual([]);
    t.last().receive({
      type: 'offer',
      pc: 'subscribe',
      sdp: 'mids:0=audio,1=video',
      tracks: [
        { mid: '0', participant_id: 'p_a', source: 'microphone' },
        { mid: '1', participant_id: 'p_a', source: 'camera' },
      ],
    });
    await settle();
    expect(t.last().ofType('answer')).toEqual([{ type: 'answer', pc: 'subscribe', sdp: 'answer' }]);
    // Candidates that came before the offer are added once it is set.
    expect(subscribe.candidates).toEqual([{ candidate: 'candidate:early', sdpMid: '0', sdpMLineIndex: 0 }]);
    expect([...t.client.remote.keys()].sort()).toEqual(['p_a:camera', 'p_a:microphone']);
    const camera = t.client.remote.get('p_a:camera');
    // A later offer where the camera section went inactive removes it.
    t.last().receive({ type: 'offer', pc: 'subscribe', sdp: 'mids:0=audio,1=video=inactive', tracks: [{ mid: '0', participant_id: 'p_a', source: 'microphone' }] });
    await settle();
    expect([...t.client.remote.keys()]).toEqual(['p_a:microphone']);
    expect(camera?.participantId).toBe('p_a');
    t.last().receive({ type: 'participant_left', participant_id: 'p_a', reason: 'left' });
    expect(t.client.remote.size).toBe(0);
  });

  it('joins again after the connection drops, with new peer connections', async () => {
    await t.inCall('pw');
    const [oldPublish, oldSubscribe] = t.pcs();
    t.last().drop(1006);
    expect(t.client.state.phase).toBe('reconnecting');
    expect(oldPublish.closed && oldSubscribe.closed).toBe(true);
    expect(t.sockets).toHaveLength(1);
    t.clock.advance(999);
    expect(t.sockets).toHaveLength(1);
    t.clock.advance(1);
    expect(t.sockets).toHaveLength(2);
    // The server is still away: the next attempt waits longer.
    t.last().drop(1006);
    t.clock.advance(1999);
    expect(t.sockets).toHaveLength(2);
    t.clock.advance(1);
    expect(t.sockets).toHaveLength(3);
    t.last().open();
    expect(t.last().sent[0]).toEqual({ type: 'join', name: 'Camille', password: 'pw' });
    t.last().receive(joined('p_new'));
    await settle();
    expect(t.client.state).toMatchObject({ phase: 'call', me: 'p_new' });
    const [publish] = t.pcs();
    expect(publish).not.toBe(oldPublish);
    expect(publish.transceivers[0]?.sender.track).toBe(t.microphone);
    expect(t.microphone.stopped).toBe(false);
  });

  it('comes back at once when the browser is online again', async () => {
    await t.inCall();
    t.last().drop(1006);
    t.client.online();
    expect(t.sockets).toHaveLength(2);
  });

  it('treats a missing pong as a dropped connection', async () => {
    await t.inCall();
    t.clock.advance(15_000);
    expect(t.last().ofType('ping')).toHaveLength(1);
    t.last().receive({ type: 'pong' });
    t.clock.advance(15_000 + 9_999);
    expect(t.client.state.phase).toBe('call');
    t.clock.advance(1);
    expect(t.client.state.phase).toBe('reconnecting');
  });

  it('does not come back after being removed, refused, or the meeting ending', async () => {
    await t.inCall();
    t.last().receive({ type: 'closed', reason: 'removed' });
    t.last().drop(4403);
    t.clock.advance(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.client.state).toMatchObject({ phase: 'ended', ended: 'removed' });
    expect(t.camera.stopped && t.microphone.stopped).toBe(true);

    const other = setup();
    await other.inCall();
    other.last().drop(4410);
    other.clock.advance(60_000);
    expect(other.sockets).toHaveLength(1);
    expect(other.client.state).toMatchObject({ phase: 'ended', ended: 'ended' });
  });

  it('goes back to the pre-join screen on a wrong password, keeping the devices', () => {
    t.client.join('Camille', 'bad', { microphone: t.microphone as unknown as MediaStreamTrack });
    t.last().open();
    t.last().receive({ type: 'error', code: 'wrong_password', message: 'wrong password', fatal: true });
    t.last().drop(4401);
    t.clock.advance(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.client.state).toMatchObject({ phase: 'prejoin', joinError: 'wrong_password' });
    expect(t.microphone.stopped).toBe(false);
  });

  it('restarts ICE: a new publish offer, and asks the server for the subscribe side', async () => {
    await t.inCall();
    const [publish, subscribe] = t.pcs();
    publish.setIceState('failed');
    await settle();
    expect(publish.offerOptions.at(-1)).toEqual({ iceRestart: true });
    expect(t.last().ofType('offer')).toHaveLength(2);
    subscribe.setIceState('disconnected');
    expect(t.last().ofType('restart_ice')).toHaveLength(0);
    t.clock.advance(3000);
    expect(t.last().ofType('restart_ice')).toHaveLength(1);
  });

  it('waits for the answer before the next publish offer', async () => {
    await t.inCall();
    const [publish] = t.pcs();
    const screen = new FakeTrack('video');
    await t.client.setScreen(screen as unknown as MediaStreamTrack);
    publish.setIceState('failed');
    await settle();
    expect(t.last().ofType('offer')).toHaveLength(2);
    expect(t.last().ofType('offer')[1]?.tracks).toEqual([
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
      { mid: '2', source: 'screen' },
    ]);
    t.last().receive({ type: 'answer', pc: 'publish', sdp: 'answer' });
    await settle();
    expect(t.last().ofType('offer')).toHaveLength(3);
    expect(publish.offerOptions.at(-1)).toEqual({ iceRestart: true });
    expect(t.last().ofType('mute')).toContainEqual({ type: 'mute', source: 'screen', muted: false });
  });

  it('stops a screen share: the section goes inactive, the track stops, the others are told', async () => {
    await t.inCall();
    const [publish] = t.pcs();
    const screen = new FakeTrack('video');
    await t.client.setScreen(screen as unknown as MediaStreamTrack);
    await settle();
    t.last().receive({ type: 'answer', pc: 'publish', sdp: 'answer' });
    await settle();
    await t.client.setScreen(null);
    await settle();
    expect(screen.stopped).toBe(true);
    expect(publish.transceivers[2]?.direction).toBe('inactive');
    expect(publish.transceivers[2]?.sender.track).toBeNull();
    expect(t.last().ofType('offer')).toHaveLength(3);
    expect(t.last().ofType('mute').at(-1)).toEqual({ type: 'mute', source: 'screen', muted: true });
  });

  it('sends each video size once, after a short delay', async () => {
    await t.inCall();
    t.client.setVideoSize('p_a', 'camera', 100, 50);
    t.client.setVideoSize('p_a', 'camera', 320.4, 180);
    t.client.setVideoSize('p_b', 'camera', 0, 0);
    expect(t.last().ofType('video_size')).toHaveLength(0);
    t.clock.advance(250);
    expect(t.last().ofType('video_size')).toEqual([
      { type: 'video_size', participant_id: 'p_a', source: 'camera', width: 320, height: 180 },
      { type: 'video_size', participant_id: 'p_b', source: 'camera', width: 0, height: 0 },
    ]);
    t.client.setVideoSize('p_a', 'camera', 320, 180);
    t.clock.advance(250);
    expect(t.last().ofType('video_size')).toHaveLength(2);
  });

  it('mutes locally when a moderator mutes me, and turns the camera off', async () => {
    await t.inCall();
    t.last().receive({ type: 'muted_by_moderator', source: 'microphone' });
    expect(t.microphone.enabled).toBe(false);
    expect(t.client.local.microphoneMuted).toBe(true);
    t.last().receive({ type: 'muted_by_moderator', source: 'camera' });
    await settle();
    expect(t.camera.stopped).toBe(true);
    expect(t.client.local.camera).toBeNull();
    t.client.setMicrophoneMuted(false);
    expect(t.microphone.enabled).toBe(true);
    expect(t.client.state.mutedByModerator).toEqual(['camera']);
  });

  it('leaves: tells the server, closes everything and releases the devices', async () => {
    await t.inCall();
    const socket = t.last();
    const [publish, subscribe] = t.pcs();
    t.client.leave();
    expect(socket.ofType('leave')).toHaveLength(1);
    expect(socket.closedWith).toBe(1000);
    expect(publish.closed && subscribe.closed).toBe(true);
    expect(t.microphone.stopped && t.camera.stopped).toBe(true);
    expect(t.client.state).toMatchObject({ phase: 'ended', ended: 'left' });
    t.clock.advance(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('ignores malformed messages from the server', async () => {
    await t.inCall();
    const before = t.client.state;
    t.last().receive('not json');
    t.last().receive({ type: 'participant_joined' });
    expect(t.client.state).toBe(before);
  });
});
