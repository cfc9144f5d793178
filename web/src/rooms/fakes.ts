/** Stand-ins for the browser's timers, WebSocket and peer connections in the unit tests. */

/** A clock and timers the test moves by hand. */
export class ManualClock {
  time = 0;
  #timers: { at: number; fn: () => void; id: number; every?: number }[] = [];
  #next = 1;
  now = (): number => this.time;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  setInterval = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.push({ at: this.time + ms, fn, id, every: ms });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  };
  clearInterval = this.clearTimeout;
  get pending(): number {
    return this.#timers.length;
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const timer = this.#timers[0];
      if (!timer || timer.at > until) break;
      this.time = timer.at;
      if (timer.every) timer.at += timer.every;
      else this.#timers.shift();
      timer.fn();
    }
    this.time = until;
  }
}


/** A WebSocket the test opens, feeds and drops by hand; `sent` holds the decoded messages sent. */
export class FakeSocket {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sent: Array<Record<string, unknown>> = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = code;
    this.onclose?.({ code, reason: '' });
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** The server or the network closed the connection. */
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  ofType(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.type === type);
  }
}

/** A track: enough of MediaStreamTrack for the client. */
export class FakeTrack {
  enabled = true;
  stopped = false;
  constructor(readonly kind: 'audio' | 'video', readonly id = `${kind}-${Math.random().toString(36).slice(2)}`) {}
  stop(): void {
    this.stopped = true;
  }
}

export class FakeTransceiver {
  mid: string | null = null;
  currentDirection: string | null = null;
  readonly sender: { track: FakeTrack | null; replaceTrack: (track: FakeTrack | null) => Promise<void> };
  readonly receiver: { track: FakeTrack | null };

  constructor(
    readonly kind: string,
    public direction: string,
    readonly sendEncodings: unknown[] | undefined,
    track: FakeTrack | null,
  ) {
    const sender = {
      track,
      replaceTrack: async (next: FakeTrack | null) => {
        sender.track = next;
      },
    };
    this.sender = sender;
    this.receiver = { track: null };
  }
}

/**
 * A peer connection that records what the client does with it. Remote offers are written
 * `mids:0=audio,1=video` so that the test says which media sections arrive.
 */
export class FakePeerConnection {
  static created: FakePeerConnection[] = [];
  transceivers: FakeTransceiver[] = [];
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  iceConnectionState = 'new';
  closed = false;
  candidates: unknown[] = [];
  offerOptions: Array<{ iceRestart?: boolean } | undefined> = [];
  onicecandidate: ((event: { candidate: unknown }) => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  ontrack: (() => void) | null = null;
  #offers = 0;

  constructor(readonly config: unknown) {
    FakePeerConnection.created.push(this);
  }

  addTransceiver(trackOrKind: FakeTrack | string, init: { direction: string; sendEncodings?: unknown[] }): FakeTransceiver {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const transceiver = new FakeTransceiver(kind, init.direction, init.sendEncodings, track);
    this.transceivers.push(transceiver);
    return transceiver;
  }

  async createOffer(options?: { iceRestart?: boolean }): Promise<{ type: string; sdp: string }> {
    this.offerOptions.push(options);
    this.#offers += 1;
    return { type: 'offer', sdp: `offer ${this.#offers}` };
  }

  async createAnswer(): Promise<{ type: string; sdp: string }> {
    return { type: 'answer', sdp: 'answer' };
  }

  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.localDescription = description;
    this.transceivers.forEach((t, index) => {
      t.mid ??= String(index);
      t.currentDirection = t.direction;
    });
  }

  async setRemoteDescription(description: { type: string; sdp: string }): Promise<void> {
    this.remoteDescription = description;
    const sections = /^mids:(.*)$/.exec(description.sdp);
    if (!sections?.[1]) return;
    for (const section of sections[1].split(',')) {
      const [mid, kind, inactive] = section.split('=');
      let transceiver = this.transceivers.find((t) => t.mid === mid);
      if (!transceiver) {
        transceiver = new FakeTransceiver(kind ?? 'video', 'recvonly', undefined, null);
        transceiver.mid = mid ?? null;
        transceiver.receiver.track = new FakeTrack(kind === 'audio' ? 'audio' : 'video');
        this.transceivers.push(transceiver);
      }
      transceiver.direction = inactive === 'inactive' ? 'inactive' : 'recvonly';
      transceiver.currentDirection = transceiver.direction;
    }
  }

  async addIceCandidate(candidate: unknown): Promise<void> {
    this.candidates.push(candidate);
  }

  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }

  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }

  close(): void {
    this.closed = true;
  }

  setIceState(state: string): void {
    this.iceConnectionState = state;
    this.oniceconnectionstatechange?.();
  }
}

/** A stand-in MediaStream for Node, holding its tracks. */
export class FakeMediaStream {
  constructor(readonly tracks: unknown[]) {}
}
