/**
 * Whether every local edit is durably stored on the server, from the acknowledgements of
 * docs/protocols/pads.md: on a connection opened with `acks=1`, the server sends message 100
 * carrying n, the number of update-carrying messages (sync step 2 and update) of this
 * connection that it has stored. We count what we send on the same connection.
 */

/** The y-websocket message type of the server's acknowledgement (a Maille extension). */
export const MESSAGE_STORED = 100;

/** What the editor shows about its edits. */
export type SaveState = 'saved' | 'saving' | 'unsaved';

/**
 * True when a binary message the client sends carries an update: sync (0) with sub-type
 * step 2 (1) or update (2). Both type integers are below 128, so one byte each.
 */
export function carriesUpdate(message: Uint8Array): boolean {
  return message.length >= 2 && message[0] === 0 && (message[1] === 1 || message[1] === 2);
}

/** True for a sync step 2, which holds everything the server lacked when it asked. */
export function isSyncStep2(message: Uint8Array): boolean {
  return message.length >= 2 && message[0] === 0 && message[1] === 1;
}

/** Turns WebSocket data (an ArrayBuffer, a typed array or a view) into bytes; null for text. */
export function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/**
 * Counts, for the current connection, the update-carrying messages sent and the server's
 * acknowledgements of them, and remembers local edits that no connection has carried yet.
 */
export class SaveTracker {
  /** Update-carrying messages sent on the current connection. */
  sent = 0;
  /** The highest acknowledgement received on the current connection. */
  stored = 0;
  /** The current connection is open. */
  connected = false;
  /** The server has sent its sync step 2 on the current connection (we know its state). */
  synced = false;
  /**
   * Some local edit may not have reached the server: made while disconnected, or sent on a
   * connection that closed before acknowledging it. The sync step 2 we send on the next
   * connection carries everything the server lacks, which clears it. It starts true: the
   * local cache may hold edits made offline in an earlier visit.
   */
  pending = true;

  /** A new connection opened: its counts start from zero. */
  opened(): void {
    this.sent = 0;
    this.stored = 0;
    this.connected = true;
    this.synced = false;
  }

  /** The connection closed: what it had not acknowledged must be sent again. */
  closed(): void {
    if (this.stored < this.sent) this.pending = true;
    this.connected = false;
    this.synced = false;
    this.sent = 0;
    this.stored = 0;
  }

  /** A message was sent on the current connection. */
  send(message: Uint8Array): void {
    if (!carriesUpdate(message)) return;
    this.sent += 1;
    if (isSyncStep2(message)) this.pending = false;
  }

  /** The server acknowledged `n` messages (it never decreases on one connection). */
  acknowledged(n: number): void {
    if (n > this.stored) this.stored = Math.min(n, this.sent);
  }

  /** The server's sync step 2 arrived. */
  serverSynced(): void {
    this.synced = true;
  }

  /**
   * A local edit happened. `carried` says whether the provider sent it at once (it does when
   * its socket is open); otherwise it waits for the next connection's sync step 2.
   */
  edited(carried: boolean): void {
    if (!carried) this.pending = true;
  }

  get state(): SaveState {
    if (!this.connected) return this.pending ? 'unsaved' : 'saved';
    if (this.synced && !this.pending && this.stored >= this.sent) return 'saved';
    return 'saving';
  }
}
