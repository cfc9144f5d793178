/**
 * The client side of a room (docs/protocols/rooms.md): the signalling WebSocket, the two peer
 * connections with the server (publish: what I send; subscribe: what the others send), local
 * media, and coming back after a network drop. It is plain TypeScript: the Svelte components
 * only show `state`, `remote`, `local` and `quality` and call the methods.
 *
 * Everything the browser provides (WebSocket, RTCPeerConnection, timers) goes through
 * `RoomEnvironment`, so the logic can be exercised in unit tests.
 */
import {
  cleanChatText,
  cleanDisplayName,
  encodeClientMessage,
  parseServerMessage,
  type Candidate,
  type ClientMessage,
  type IceServer,
  type ModerateAction,
  type PublishTrack,
  type ServerMessage,
  type Source,
  type SubscribeTrack,
} from './protocol';
import { Backoff, classifyClose, IceWatch } from './reconnect';
import { initialState, reduce, type RoomState } from './state';
import { SIMULCAST_ENCODINGS } from './media';
import { classify, combine, lossBetween, lossCounters, roundTripMs, statsEntries, type LossCounters, type Quality } from './quality';

/** The part of a WebSocket the client uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RoomEnvironment {
  createSocket(url: string): SocketLike;
  createPeerConnection(config: RTCConfiguration): RTCPeerConnection;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export function browserEnvironment(): RoomEnvironment {
  return {
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    createPeerConnection: (config) => new RTCPeerConnection(config),
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  };
}

/** The signalling URL of a room on this site. */
export function roomSocketUrl(location: { protocol: string; host: string }, roomId: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/rooms/${encodeURIComponent(roomId)}`;
}

/** Someone else's media arriving on the subscribe connection. */
export interface RemoteMedia {
  key: string;
  participantId: string;
  source: Source;
  stream: MediaStream;
  track: MediaStreamTrack;
}

/** What I send. `microphoneMuted`: the microphone is open but sends silence. */
export interface LocalMedia {
  microphone: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  microphoneMuted: boolean;
}

export const remoteKey = (participantId: string, source: Source): string => `${participantId}:${source}`;

const PING_INTERVAL_MS = 15_000;
const PONG_TIMEOUT_MS = 10_000;
const STATS_INTERVAL_MS = 2000;
const VIDEO_SIZE_DELAY_MS = 250;

interface Sides {
  publish: RTCPeerConnection;
  subscribe: RTCPeerConnection;
  microphone: RTCRtpTransceiver;
  camera: RTCRtpTransceiver;
  screen: RTCRtpTransceiver | null;
  publishWatch: IceWatch;
  subscribeWatch: IceWatch;
  /** Publish offer sent, its answer not received yet. */
  awaitingAnswer: boolean;
  /** Another publish negotiation was asked for meanwhile (`true`: with an ICE restart). */
  pendingNegotiation: null | { iceRestart: boolean };
  /** Remote candidates received before the matching description. */
  queued: { publish: Candidate[]; subscribe: Candidate[] };
  subscribeTracks: SubscribeTrack[];
  /** Serialises the handling of subscribe offers. */
  subscribeChain: Promise<void>;
}

type Listener = () => void;

export class RoomClient {
  state: RoomState = initialState();
  /** Others' media, by `remoteKey`. */
  remote = new Map<string, RemoteMedia>();
  local: LocalMedia = { microphone: null, camera: null, screen: null, microphoneMuted: false };
  quality: Quality = { level: 'unknown', rttMs: null, lossPercent: null };
  /** Whether the chat is on screen (new messages are then not counted as unread). */
  chatOpen = false;
  /** Ids of the peer connections, for the browser tests (see `exposeForTests`). */
  sides: Sides | null = null;

  readonly #roomId: string;
  readonly #url: string;
  readonly #env: RoomEnvironment;
  #socket: SocketLike | null = null;
  #listeners = new Set<Listener>();
  #name = '';
  #password = '';
  #moderatorKey: string | null = null;
  #leaving = false;
  #backoff: Backoff;
  #retryTimer: unknown = null;
  #pingTimer: unknown = null;
  #pongTimer: unknown = null;
  #statsTimer: unknown = null;
  #previousLoss: LossCounters | null = null;
  #iceServers: IceServer[] = [];
  /** The size each shown video wants, and what was last sent for it. */
  #wantedSizes = new Map<string, { participantId: string; source: Source; width: number; height: number }>();
  #sentSizes = new Map<string, string>();
  #sizeTimer: unknown = null;

  constructor(roomId: string, url: string, env: RoomEnvironment = browserEnvironment(), backoff = new Backoff()) {
    this.#roomId = roomId;
    this.#url = url;
    this.#env = env;
    this.#backoff = backoff;
  }

  get roomId(): string {
    return this.#roomId;
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #setState(next: RoomState): void {
    if (next !== this.state) {
      this.state = next;
      this.#changed();
    }
  }

  /** Joins with a display name (and the room's password if it has one), sending `local`. */
  join(name: string, password: string, local: Partial<LocalMedia>, moderatorKey: string | null = null): void {
    this.#name = cleanDisplayName(name);
    this.#password = password;
    this.#moderatorKey = moderatorKey;
    this.#leaving = false;
    this.local = { ...this.local, ...local };
    this.#backoff.reset();
    this.#setState({ ...this.state, phase: 'connecting', joinError: null, ended: null, myName: this.#name });
    this.#connect();
  }

  #connect(): void {
    this.#retryTimer = null;
    const socket = this.#env.createSocket(this.#url);
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      const join: ClientMessage = { type: 'join', name: this.#name };
      if (this.#password !== '') join.password = this.#password;
      if (this.#moderatorKey) join.moderator_key = this.#moderatorKey;
      this.#send(join);
      this.#startPing();
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (message === null) {
        console.warn('rooms: ignored a message from the server', event.data.slice(0, 200));
        return;
      }
      this.#receive(message);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#closed(event.code);
    };
    socket.onerror = () => {
      // A close event always follows.
    };
  }

  #send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) return false;
    // The server refuses (and disconnects) anything but `join` before `joined`.
    if (message.type !== 'join' && this.state.phase !== 'call') return false;
    try {
      socket.send(encodeClientMessage(message));
      return true;
    } catch (error) {
      console.warn('rooms: could not send', message.type, error);
      return false;
    }
  }

  #startPing(): void {
    this.#stopPing();
    this.#pingTimer = this.#env.setInterval(() => {
      if (!this.#send({ type: 'ping' }) || this.#pongTimer !== null) return;
      this.#pongTimer = this.#env.setTimeout(() => {
        // No answer: the connection is dead even if the browser has not noticed yet.
        this.#pongTimer = null;
        const socket = this.#socket;
        if (socket) {
          this.#socket = null;
          socket.close(4000, 'no pong');
          this.#closed(1006);
        }
      }, PONG_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  #stopPing(): void {
    if (this.#pingTimer !== null) this.#env.clearInterval(this.#pingTimer);
    if (this.#pongTimer !== null) this.#env.clearTimeout(this.#pongTimer);
    this.#pingTimer = null;
    this.#pongTimer = null;
  }

  #closed(code: number): void {
    this.#stopPing();
    this.#teardownConnections();
    if (this.#leaving || this.state.phase === 'ended' || this.state.phase === 'prejoin') {
      this.#changed();
      return;
    }
    const verdict = classifyClose(code);
    if (!verdict.retry) {
      this.#setState({ ...this.state, phase: 'ended', ended: verdict.reason });
      this.#stopLocal();
      return;
    }
    this.#setState({ ...this.state, phase: 'reconnecting', activeSpeaker: null });
    this.#retryTimer = this.#env.setTimeout(() => this.#connect(), this.#backoff.next());
  }

  /** The browser says the network is back: do not wait for the next attempt. */
  online(): void {
    if (this.state.phase === 'reconnecting' && this.#retryTimer !== null) {
      this.#env.clearTimeout(this.#retryTimer);
      this.#connect();
    }
    this.sides?.publishWatch.nudge();
    this.sides?.subscribeWatch.nudge();
  }

  #receive(message: ServerMessage): void {
    if (message.type === 'pong') {
      if (this.#pongTimer !== null) this.#env.clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
      return;
    }
    const wasCall = this.state.phase === 'call';
    this.#setState(reduce(this.state, message, this.chatOpen));
    switch (message.type) {
      case 'joined':
        this.#backoff.reset();
        this.#iceServers = message.ice_servers;
        if (wasCall) this.#teardownConnections();
        this.#sentSizes.clear();
        this.#setupConnections();
        // Tell the others what I have muted (a new participant after a reconnection).
        if (this.local.microphoneMuted || !this.local.microphone) this.#send({ type: 'mute', source: 'microphone', muted: true });
        if (!this.local.camera) this.#send({ type: 'mute', source: 'camera', muted: true });
        this.#startStats();
        break;
      case 'answer':
        void this.#onPublishAnswer(message.sdp);
        break;
      case 'offer':
        this.#onSubscribeOffer(message.sdp, message.tracks);
        break;
      case 'candidate':
        void this.#onCandidate(message.pc, message.candidate);
        break;
      case 'muted_by_moderator':
        this.#applyModeratorMute(message.source);
        break;
      case 'participant_left':
        this.#dropRemote((media) => media.participantId === message.participant_id);
        break;
      case 'closed':
        this.#leaving = true;
        this.#teardownConnections();
        this.#stopLocal();
        break;
      case 'error':
        if (message.code === 'wrong_password') {
          // The server closes the socket: do not come back with the same password.
          this.#leaving = true;
        }
        break;
      default:
        break;
    }
  }

  // ---- peer connections -------------------------------------------------------------------

  #setupConnections(): void {
    const config: RTCConfiguration = {
      iceServers: this.#iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    };
    const publish = this.#env.createPeerConnection(config);
    const subscribe = this.#env.createPeerConnection(config);
    const timers = {
      now: () => this.#env.now(),
      setTimeout: (fn: () => void, ms: number) => this.#env.setTimeout(fn, ms),
      clearTimeout: (handle: unknown) => this.#env.clearTimeout(handle),
    };
    const microphone = publish.addTransceiver(this.local.microphone ?? 'audio', { direction: 'sendonly' });
    const camera = publish.addTransceiver(this.local.camera ?? 'video', {
      direction: 'sendonly',
      sendEncodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e })),
    });
    if (this.local.microphone) this.local.microphone.enabled = !this.local.microphoneMuted;
    const sides: Sides = {
      publish,
      subscribe,
      microphone,
      camera,
      screen: null,
      publishWatch: new IceWatch(() => this.#negotiatePublish(true), timers),
      subscribeWatch: new IceWatch(() => this.#send({ type: 'restart_ice' }), timers),
      awaitingAnswer: false,
      pendingNegotiation: null,
      queued: { publish: [], subscribe: [] },
      subscribeTracks: [],
      subscribeChain: Promise.resolve(),
    };
    this.sides = sides;
    publish.onicecandidate = (event) => {
      if (this.sides === sides) this.#send({ type: 'candidate', pc: 'publish', candidate: event.candidate ? toCandidate(event.candidate) : null });
    };
    subscribe.onicecandidate = (event) => {
      if (this.sides === sides) this.#send({ type: 'candidate', pc: 'subscribe', candidate: event.candidate ? toCandidate(event.candidate) : null });
    };
    publish.oniceconnectionstatechange = () => sides.publishWatch.update(publish.iceConnectionState);
    subscribe.oniceconnectionstatechange = () => sides.subscribeWatch.update(subscribe.iceConnectionState);
    subscribe.ontrack = () => this.#refreshRemote();
    if (this.local.screen) {
      sides.screen = publish.addTransceiver(this.local.screen, { direction: 'sendonly' });
    }
    this.#negotiatePublish(false);
  }

  #teardownConnections(): void {
    const sides = this.sides;
    this.#stopStats();
    if (!sides) return;
    this.sides = null;
    sides.publishWatch.stop();
    sides.subscribeWatch.stop();
    for (const pc of [sides.publish, sides.subscribe]) {
      pc.onicecandidate = null;
      pc.oniceconnectionstatechange = null;
      pc.ontrack = null;
      pc.close();
    }
    this.#dropRemote(() => true);
  }

  #publishTracks(sides: Sides): PublishTrack[] {
    const tracks: PublishTrack[] = [];
    const add = (transceiver: RTCRtpTransceiver | null, source: Source) => {
      if (transceiver?.mid != null) tracks.push({ mid: transceiver.mid, source });
    };
    add(sides.microphone, 'microphone');
    add(sides.camera, 'camera');
    add(sides.screen, 'screen');
    return tracks;
  }

  /** Sends a new publish offer (or remembers to, once the current one is answered). */
  #negotiatePublish(iceRestart: boolean): void {
    const sides = this.sides;
    if (!sides) return;
    if (sides.awaitingAnswer) {
      sides.pendingNegotiation = { iceRestart: iceRestart || (sides.pendingNegotiation?.iceRestart ?? false) };
      return;
    }
    sides.awaitingAnswer = true;
    void (async () => {
      try {
        const offer = await sides.publish.createOffer({ iceRestart });
        if (this.sides !== sides) return;
        await sides.publish.setLocalDescription(offer);
        if (this.sides !== sides) return;
        this.#send({ type: 'offer', pc: 'publish', sdp: sides.publish.localDescription?.sdp ?? offer.sdp ?? '', tracks: this.#publishTracks(sides) });
      } catch (error) {
        console.warn('rooms: could not make a publish offer', error);
        sides.awaitingAnswer = false;
      }
    })();
  }

  async #onPublishAnswer(sdp: string): Promise<void> {
    const sides = this.sides;
    if (!sides || !sides.awaitingAnswer) return;
    try {
      await sides.publish.setRemoteDescription({ type: 'answer', sdp });
      await this.#flushCandidates(sides, 'publish');
    } catch (error) {
      console.warn('rooms: the publish answer was refused', error);
    }
    sides.awaitingAnswer = false;
    const pending = sides.pendingNegotiation;
    sides.pendingNegotiation = null;
    if (pending && this.sides === sides) this.#negotiatePublish(pending.iceRestart);
  }

  #onSubscribeOffer(sdp: string, tracks: SubscribeTrack[]): void {
    const sides = this.sides;
    if (!sides) return;
    sides.subscribeChain = sides.subscribeChain.then(async () => {
      if (this.sides !== sides) return;
      try {
        await sides.subscribe.setRemoteDescription({ type: 'offer', sdp });
        sides.subscribeTracks = tracks;
        const answer = await sides.subscribe.createAnswer();
        await sides.subscribe.setLocalDescription(answer);
        if (this.sides !== sides) return;
        this.#send({ type: 'answer', pc: 'subscribe', sdp: sides.subscribe.localDescription?.sdp ?? answer.sdp ?? '' });
        await this.#flushCandidates(sides, 'subscribe');
        this.#refreshRemote();
        this.#scheduleSizes();
      } catch (error) {
        console.warn('rooms: could not answer the subscribe offer', error);
      }
    });
  }

  async #onCandidate(pc: 'publish' | 'subscribe', candidate: Candidate | null): Promise<void> {
    const sides = this.sides;
    if (!sides || candidate === null) return;
    const connection = pc === 'publish' ? sides.publish : sides.subscribe;
    if (!connection.remoteDescription) {
      sides.queued[pc].push(candidate);
      return;
    }
    try {
      await connection.addIceCandidate(candidate);
    } catch (error) {
      console.warn('rooms: a candidate was refused', error);
    }
  }

  async #flushCandidates(sides: Sides, pc: 'publish' | 'subscribe'): Promise<void> {
    const connection = pc === 'publish' ? sides.publish : sides.subscribe;
    const queued = sides.queued[pc];
    sides.queued[pc] = [];
    for (const candidate of queued) {
      try {
        await connection.addIceCandidate(candidate);
      } catch (error) {
        console.warn('rooms: a queued candidate was refused', error);
      }
    }
  }

  /** Rebuilds `remote` from the subscribe connection's transceivers and the offer's `tracks`. */
  #refreshRemote(): void {
    const sides = this.sides;
    if (!sides) return;
    const next = new Map<string, RemoteMedia>();
    for (const transceiver of sides.subscribe.getTransceivers()) {
      const mid = transceiver.mid;
      if (mid === null || transceiver.currentDirection === 'inactive' || transceiver.direction === 'inactive') continue;
      const track = sides.subscribeTracks.find((t) => t.mid === mid);
      const receiverTrack = transceiver.receiver.track;
      if (!track || !receiverTrack) continue;
      const key = remoteKey(track.participant_id, track.source);
      const existing = this.remote.get(key);
      next.set(
        key,
        existing && existing.track === receiverTrack
          ? existing
          : { key, participantId: track.participant_id, source: track.source, track: receiverTrack, stream: new MediaStream([receiverTrack]) },
      );
    }
    const same = next.size === this.remote.size && [...next].every(([key, media]) => this.remote.get(key) === media);
    if (!same) {
      this.remote = next;
      this.#changed();
    }
  }

  #dropRemote(which: (media: RemoteMedia) => boolean): void {
    let changed = false;
    for (const [key, media] of this.remote) {
      if (which(media)) {
        this.remote.delete(key);
        changed = true;
      }
    }
    if (changed) {
      this.remote = new Map(this.remote);
      this.#changed();
    }
  }

  // ---- what I send ------------------------------------------------------------------------

  /** Mutes or unmutes my microphone (the track stays open: unmuting is instant). */
  setMicrophoneMuted(muted: boolean): void {
    this.local = { ...this.local, microphoneMuted: muted };
    if (this.local.microphone) this.local.microphone.enabled = !muted;
    if (!muted) this.#clearModeratorMute('microphone');
    this.#send({ type: 'mute', source: 'microphone', muted });
    this.#changed();
  }

  /** Replaces the microphone (another device, or the first one when it was missing). */
  async setMicrophone(track: MediaStreamTrack | null): Promise<void> {
    const old = this.local.microphone;
    if (track) track.enabled = !this.local.microphoneMuted;
    this.local = { ...this.local, microphone: track };
    await this.sides?.microphone.sender.replaceTrack(track);
    if (old && old !== track) old.stop();
    this.#changed();
  }

  /** Turns the camera on (with a track) or off (null: the camera light goes off). */
  async setCamera(track: MediaStreamTrack | null): Promise<void> {
    const old = this.local.camera;
    this.local = { ...this.local, camera: track };
    await this.sides?.camera.sender.replaceTrack(track);
    if (old && old !== track) old.stop();
    if (track) this.#clearModeratorMute('camera');
    this.#send({ type: 'mute', source: 'camera', muted: track === null });
    this.#changed();
  }

  /** Starts or stops sharing a screen. */
  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    const old = this.local.screen;
    this.local = { ...this.local, screen: track };
    if (old && old !== track) old.stop();
    const sides = this.sides;
    if (sides) {
      if (track) {
        if (sides.screen) {
          await sides.screen.sender.replaceTrack(track);
          sides.screen.direction = 'sendonly';
        } else {
          sides.screen = sides.publish.addTransceiver(track, { direction: 'sendonly' });
        }
      } else if (sides.screen) {
        await sides.screen.sender.replaceTrack(null);
        sides.screen.direction = 'inactive';
      }
      this.#negotiatePublish(false);
    }
    this.#send({ type: 'mute', source: 'screen', muted: track === null });
    this.#changed();
  }

  #applyModeratorMute(source: Source): void {
    if (source === 'microphone') {
      this.local = { ...this.local, microphoneMuted: true };
      if (this.local.microphone) this.local.microphone.enabled = false;
      this.#changed();
    } else if (source === 'camera') {
      void this.setCamera(null);
    } else {
      void this.setScreen(null);
    }
  }

  #clearModeratorMute(source: Source): void {
    if (this.state.mutedByModerator.includes(source)) {
      this.#setState({ ...this.state, mutedByModerator: this.state.mutedByModerator.filter((s) => s !== source) });
    }
  }

  raiseHand(raised: boolean): void {
    this.#send({ type: 'hand', raised });
  }

  /** Sends a chat message; false when it is empty, too long or the connection is down. */
  sendChat(text: string): boolean {
    const clean = cleanChatText(text);
    return clean !== null && this.#send({ type: 'chat', text: clean });
  }

  moderate(action: ModerateAction, participantId?: string, source?: Source): void {
    const message: ClientMessage = { type: 'moderate', action };
    if (participantId !== undefined) message.participant_id = participantId;
    if (source !== undefined) message.source = source;
    this.#send(message);
  }

  /** Marks the chat as read or not shown. */
  setChatOpen(open: boolean): void {
    this.chatOpen = open;
    if (open && this.state.unread > 0) this.#setState({ ...this.state, unread: 0 });
  }

  dismissNotice(): void {
    if (this.state.notice !== null) this.#setState({ ...this.state, notice: null });
  }

  /**
   * The size at which a video is shown (0 × 0: not shown), sent to the server a moment later
   * so that a window being resized sends one message, not hundreds.
   */
  setVideoSize(participantId: string, source: Source, width: number, height: number): void {
    const key = remoteKey(participantId, source);
    this.#wantedSizes.set(key, { participantId, source, width: Math.round(width), height: Math.round(height) });
    this.#scheduleSizes();
  }

  #scheduleSizes(): void {
    if (this.#sizeTimer !== null) return;
    this.#sizeTimer = this.#env.setTimeout(() => {
      this.#sizeTimer = null;
      this.#sendSizes();
    }, VIDEO_SIZE_DELAY_MS);
  }

  #sendSizes(): void {
    if (this.state.phase !== 'call') return;
    for (const [key, size] of this.#wantedSizes) {
      const value = `${size.width}x${size.height}`;
      if (this.#sentSizes.get(key) === value) continue;
      if (this.#send({ type: 'video_size', participant_id: size.participantId, source: size.source, width: size.width, height: size.height })) {
        this.#sentSizes.set(key, value);
      }
      if (size.width === 0) this.#wantedSizes.delete(key);
    }
  }

  // ---- quality ----------------------------------------------------------------------------

  #startStats(): void {
    this.#stopStats();
    this.#previousLoss = null;
    this.#statsTimer = this.#env.setInterval(() => void this.#sampleStats(), STATS_INTERVAL_MS);
  }

  #stopStats(): void {
    if (this.#statsTimer !== null) this.#env.clearInterval(this.#statsTimer);
    this.#statsTimer = null;
  }

  async #sampleStats(): Promise<void> {
    const sides = this.sides;
    if (!sides) return;
    try {
      const [published, subscribed] = await Promise.all([sides.publish.getStats(), sides.subscribe.getStats()]);
      const pub = statsEntries(published);
      const sub = statsEntries(subscribed);
      const counters = lossCounters(sub);
      const incomingLoss = lossBetween(this.#previousLoss, counters);
      this.#previousLoss = counters;
      const pubRtt = roundTripMs(pub);
      const subRtt = roundTripMs(sub);
      this.quality = combine([
        { level: classify(pubRtt, null), rttMs: pubRtt, lossPercent: null },
        { level: classify(subRtt, incomingLoss), rttMs: subRtt, lossPercent: incomingLoss },
      ]);
      this.#changed();
    } catch {
      // The connection closed meanwhile.
    }
  }

  // ---- leaving ----------------------------------------------------------------------------

  #stopLocal(): void {
    for (const track of [this.local.microphone, this.local.camera, this.local.screen]) track?.stop();
    this.local = { microphone: null, camera: null, screen: null, microphoneMuted: this.local.microphoneMuted };
  }

  /** Leaves the room: tells the server, closes everything and releases the devices. */
  leave(): void {
    this.#leaving = true;
    if (this.#retryTimer !== null) this.#env.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#sizeTimer !== null) this.#env.clearTimeout(this.#sizeTimer);
    this.#sizeTimer = null;
    this.#send({ type: 'leave' });
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, 'left');
    this.#stopPing();
    this.#teardownConnections();
    this.#stopLocal();
    if (this.state.phase !== 'ended' && this.state.phase !== 'prejoin') {
      this.#setState({ ...this.state, phase: 'ended', ended: 'left' });
    } else {
      this.#changed();
    }
  }

  /** After `wrong_password`: go back to the pre-join screen without releasing the devices. */
  get keepsDevices(): boolean {
    return this.state.phase === 'prejoin';
  }
}

function toCandidate(candidate: RTCIceCandidate): Candidate {
  return {
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid,
    sdpMLineIndex: candidate.sdpMLineIndex,
    usernameFragment: candidate.usernameFragment,
  };
}
