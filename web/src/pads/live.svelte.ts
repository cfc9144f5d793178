/**
 * One open pad: its Yjs document, the local IndexedDB cache that keeps offline edits across a
 * reload, and the y-websocket connection to the server (docs/protocols/pads.md), with the
 * reactive state the page shows: connection, "saved", who is here, the authors and the chat.
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as decoding from 'lib0/decoding';
import { MESSAGE_STORED, SaveTracker, toBytes, type SaveState } from './saving';
import { CHAT_FIELD, readChat, sendMessage, type ChatMessage } from './chat';
import { pickColor } from './colors';
import { AUTHORS_FIELD, readAuthors, readPresence, type Author, type Presence } from './people';
import type { Identity } from './identity';

export type { Author, Presence };

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'denied';

/** The WebSocket base URL of this site (the server mounts pads at /ws/pads). */
export function wsBase(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/pads`;
}

export class PadConnection {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly chat: Y.Array<unknown>;
  readonly authors: Y.Map<unknown>;
  readonly editable: boolean;

  connection = $state<ConnectionState>('connecting');
  save = $state<SaveState>('unsaved');
  /** The local cache has been read (the editor may show its content). */
  cacheLoaded = $state(false);
  /** The server's copy has been received at least once on this page. */
  serverLoaded = $state(false);
  people = $state<Presence[]>([]);
  authorList = $state<Author[]>([]);
  messages = $state<ChatMessage[]>([]);
  deniedReason = $state('');

  #tracker = new SaveTracker();
  #cache: IndexeddbPersistence | null = null;
  #identity: Identity;
  #destroyed = false;
  #offlineTimer: ReturnType<typeof setTimeout> | null = null;
  #registered = false;
  #stillAllowed: () => Promise<boolean>;
  #rechecks: number[] = [];

  /**
   * `roomId` is the id in the URL (edit or read id); `cacheKey` names the local cache (the read
   * id, the same for every link to this pad).
   */
  constructor(
    roomId: string,
    cacheKey: string,
    identity: Identity,
    editable: boolean,
    stillAllowed: () => Promise<boolean>,
    base = wsBase(location),
  ) {
    this.#identity = identity;
    this.#stillAllowed = stillAllowed;
    this.editable = editable;
    this.chat = this.doc.getArray(CHAT_FIELD);
    this.authors = this.doc.getMap(AUTHORS_FIELD);
    const tracker = this.#tracker;
    const connection = this;
    // Counts what the provider sends on its current socket (docs/protocols/pads.md).
    class CountingWebSocket extends WebSocket {
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
        super.send(data);
        const bytes = toBytes(data);
        if (bytes && connection.provider?.ws === this) {
          tracker.send(bytes);
          connection.#refresh();
        }
      }
    }
    this.provider = new WebsocketProvider(base, roomId, this.doc, {
      connect: false,
      params: { acks: '1' },
      WebSocketPolyfill: CountingWebSocket,
      maxBackoffTime: 5000,
    });
    this.provider.messageHandlers[MESSAGE_STORED] = (_encoder, decoder) => {
      tracker.acknowledged(decoding.readVarUint(decoder));
      this.#refresh();
    };
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') tracker.opened();
      if (status === 'disconnected') tracker.closed();
      this.#refresh();
    });
    this.provider.on('sync', (synced: boolean) => {
      if (synced) {
        tracker.serverSynced();
        if (!this.serverLoaded) this.#chooseColor();
        this.serverLoaded = true;
      }
      this.#refresh();
    });
    // The server closes with 4403 when it refuses the pad, and also closes every connection
    // when the pad's visibility changes: whoever may still open it reconnects.
    this.provider.on('closed', ({ code, reason }) => {
      if (code < 4400 || code >= 4500) return;
      void this.#recheck(reason);
    });

    this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin === this.provider || origin === this.#cache) return;
      // The provider's own listener ran first and sent the edit if its socket was open.
      tracker.edited(this.provider.wsconnected);
      this.#refresh();
      // Whoever writes appears in the legend of authors (once, after this edit).
      if (!this.#registered) queueMicrotask(() => this.#registerAuthor());
    });

    this.provider.awareness.on('change', () => this.#readPresence());
    this.authors.observeDeep(() => (this.authorList = readAuthors(this.authors)));
    this.chat.observe(() => (this.messages = readChat(this.chat)));

    void this.#start(cacheKey);
  }

  async #start(cacheKey: string): Promise<void> {
    try {
      this.#cache = new IndexeddbPersistence(`maille-pad-${cacheKey}`, this.doc);
      // Without IndexedDB (some private modes) the pad still works, only without the cache.
      await Promise.race([this.#cache.whenSynced, new Promise((resolve) => setTimeout(resolve, 1500))]);
    } catch (error) {
      console.warn('no local cache for this pad', error);
    }
    if (this.#destroyed) return;
    this.cacheLoaded = true;
    this.authorList = readAuthors(this.authors);
    this.messages = readChat(this.chat);
    this.provider.connect();
    this.#refresh();
  }

  async #recheck(reason: string): Promise<void> {
    const now = Date.now();
    this.#rechecks = this.#rechecks.filter((at) => now - at < 60_000);
    this.#rechecks.push(now);
    let allowed = false;
    if (this.#rechecks.length <= 3) {
      try {
        allowed = await this.#stillAllowed();
      } catch {
        allowed = false;
      }
    }
    if (this.#destroyed) return;
    if (allowed) {
      this.provider.connect();
    } else {
      this.deniedReason = reason;
      this.connection = 'denied';
    }
  }

  #refresh(): void {
    if (this.connection === 'denied') return;
    const status = this.provider.wsconnected ? 'connected' : 'connecting';
    if (status === 'connected') {
      if (this.#offlineTimer) clearTimeout(this.#offlineTimer);
      this.#offlineTimer = null;
      this.connection = 'connected';
    } else if (this.connection === 'connected' || this.connection === 'connecting') {
      // A short reconnection shows "connecting"; a longer one "offline".
      if (this.connection === 'connected') this.connection = 'connecting';
      this.#offlineTimer ??= setTimeout(() => {
        this.#offlineTimer = null;
        if (!this.provider.wsconnected && this.connection !== 'denied') this.connection = 'offline';
      }, 4000);
    }
    this.save = this.#tracker.state;
  }

  #readPresence(): void {
    this.people = readPresence(
      this.provider.awareness.getStates() as Map<number, Record<string, unknown>>,
      this.doc.clientID,
    );
  }

  /** Puts my name and colour in the shared authors map (editors who wrote, when they changed). */
  #registerAuthor(): void {
    if (!this.editable || this.#destroyed) return;
    this.#registered = true;
    const { id, name, color } = this.#identity;
    const current = this.authors.get(id) as { name?: unknown; color?: unknown } | undefined;
    if (current && current.name === name && current.color === color) return;
    this.authors.set(id, { name, color });
  }

  /** Takes a colour nobody else uses in this pad (or the one I already have here). */
  #chooseColor(): void {
    if (!this.editable) return;
    const me = this.#identity;
    const taken = new Set<string>();
    for (const author of readAuthors(this.authors)) if (author.id !== me.id) taken.add(author.color);
    for (const person of this.people) if (person.id !== me.id) taken.add(person.color);
    const mine = this.authors.get(me.id) as { color?: unknown } | undefined;
    const color = pickColor(me.color, taken, typeof mine?.color === 'string' ? mine.color : undefined);
    if (color !== me.color) this.rename({ ...me, color });
  }

  /** Changes my name (and colour) for the others: carets, presence, authors legend. */
  rename(identity: Identity): void {
    this.#identity = identity;
    this.provider.awareness.setLocalStateField('user', { id: identity.id, name: identity.name, color: identity.color });
    // Someone who already wrote here gets their new name in the legend.
    if (this.authors.has(identity.id)) this.#registerAuthor();
  }

  get identity(): Identity {
    return this.#identity;
  }

  sendChat(text: string): boolean {
    if (!this.editable) return false;
    return sendMessage(this.chat, this.#identity, text);
  }

  /** Disconnects and frees everything (the local cache stays on disk). */
  destroy(): void {
    this.#destroyed = true;
    if (this.#offlineTimer) clearTimeout(this.#offlineTimer);
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    void this.#cache?.destroy();
    this.doc.destroy();
  }
}
