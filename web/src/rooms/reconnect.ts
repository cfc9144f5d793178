/**
 * When and how to come back after a network drop: which WebSocket closes mean "join again",
 * how long to wait between attempts, and when a peer connection needs an ICE restart.
 * Time is a parameter (`now`, and timers passed in) so that tests control it.
 */
import { CLOSE } from './protocol';
import type { EndReason } from './state';

/**
 * What a WebSocket close means: `retry` (the network or the server went away: join again),
 * or the reason the call is over for good.
 */
export function classifyClose(code: number): { retry: true } | { retry: false; reason: EndReason } {
  switch (code) {
    case CLOSE.wrongPassword:
      // The pre-join screen asks again; the state already says why.
      return { retry: false, reason: 'error' };
    case CLOSE.forbidden:
      return { retry: false, reason: 'forbidden' };
    case CLOSE.notFound:
      return { retry: false, reason: 'not_found' };
    case CLOSE.fullOrLocked:
      return { retry: false, reason: 'room_full' };
    case CLOSE.ended:
      return { retry: false, reason: 'ended' };
    case CLOSE.badMessage:
      return { retry: false, reason: 'error' };
    case CLOSE.tooManyMessages:
      return { retry: false, reason: 'too_many_messages' };
    default:
      // 1001 (server restarting), 1006 (connection lost), 1011 (server error) and others.
      return { retry: true };
  }
}

/** Delays between attempts to join again: 1 s, 2 s, 4 s, … up to 15 s, with some jitter. */
export class Backoff {
  #attempt = 0;

  constructor(
    readonly baseMs = 1000,
    readonly maxMs = 15_000,
    readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const plain = Math.min(this.maxMs, this.baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 16);
    // ±20 % so that everyone in a room does not come back at the same instant after a restart.
    return Math.round(plain * (0.8 + 0.4 * this.random()));
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** After a successful join. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** How long a connection may stay `disconnected` before it is restarted (it often recovers alone). */
export const DISCONNECTED_GRACE_MS = 3000;

/** Time between two ICE restarts of the same connection, so a flapping link does not cause a storm. */
export const MIN_RESTART_INTERVAL_MS = 5000;

/**
 * Decides when a peer connection needs an ICE restart, from its `iceConnectionState`:
 * at once when `failed`, after a grace period when `disconnected`, and not more often than
 * every few seconds. `restart` is called with nothing; timers come from the caller.
 */
export class IceWatch {
  #timer: unknown = null;
  #lastRestart = -Infinity;
  #state = 'new';

  constructor(
    private readonly restart: () => void,
    private readonly timers: {
      now: () => number;
      setTimeout: (fn: () => void, ms: number) => unknown;
      clearTimeout: (handle: unknown) => void;
    },
  ) {}

  /** Feeds a new `iceConnectionState`. */
  update(state: string): void {
    this.#state = state;
    if (state === 'failed') {
      this.#cancel();
      this.#tryRestart();
    } else if (state === 'disconnected') {
      if (this.#timer === null) {
        this.#timer = this.timers.setTimeout(() => {
          this.#timer = null;
          if (this.#state === 'disconnected' || this.#state === 'failed') this.#tryRestart();
        }, DISCONNECTED_GRACE_MS);
      }
    } else {
      this.#cancel();
    }
  }

  /** Restarts now if the connection is not healthy (after the browser says it is back online). */
  nudge(): void {
    if (this.#state === 'disconnected' || this.#state === 'failed') {
      this.#cancel();
      this.#tryRestart();
    }
  }

  stop(): void {
    this.#cancel();
  }

  #tryRestart(): void {
    const now = this.timers.now();
    if (now - this.#lastRestart < MIN_RESTART_INTERVAL_MS) {
      // Too soon: try again once the interval has passed, if still unhealthy.
      if (this.#timer === null) {
        this.#timer = this.timers.setTimeout(() => {
          this.#timer = null;
          if (this.#state === 'disconnected' || this.#state === 'failed') this.#tryRestart();
        }, MIN_RESTART_INTERVAL_MS - (now - this.#lastRestart));
      }
      return;
    }
    this.#lastRestart = now;
    this.restart();
  }

  #cancel(): void {
    if (this.#timer !== null) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
