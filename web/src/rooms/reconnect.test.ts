import { describe, expect, it } from 'vitest';
import { ManualClock } from './fakes';
import { Backoff, classifyClose, DISCONNECTED_GRACE_MS, IceWatch, MIN_RESTART_INTERVAL_MS } from './reconnect';

describe('close codes', () => {
  it('joins again after a lost connection or a server restart', () => {
    for (const code of [1001, 1006, 1011, 1012]) expect(classifyClose(code)).toEqual({ retry: true });
  });

  it('stops for refusals', () => {
    expect(classifyClose(4403)).toEqual({ retry: false, reason: 'forbidden' });
    expect(classifyClose(4404)).toEqual({ retry: false, reason: 'not_found' });
    expect(classifyClose(4409)).toEqual({ retry: false, reason: 'room_full' });
    expect(classifyClose(4410)).toEqual({ retry: false, reason: 'ended' });
    expect(classifyClose(4429)).toEqual({ retry: false, reason: 'too_many_messages' });
    expect(classifyClose(4400).retry).toBe(false);
    expect(classifyClose(4401).retry).toBe(false);
  });
});

describe('backoff', () => {
  it('doubles up to a ceiling and starts over after a success', () => {
    const backoff = new Backoff(1000, 15_000, () => 0.5);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
    backoff.reset();
    expect(backoff.next()).toBe(1000);
  });

  it('spreads attempts by ±20 %', () => {
    expect(new Backoff(1000, 15_000, () => 0).next()).toBe(800);
    expect(new Backoff(1000, 15_000, () => 1).next()).toBe(1200);
  });
});

describe('ICE restarts', () => {
  function watch() {
    const clock = new ManualClock();
    const restarts: number[] = [];
    const ice = new IceWatch(() => restarts.push(clock.time), clock);
    return { clock, restarts, ice };
  }

  it('restarts at once when the connection failed', () => {
    const { ice, restarts } = watch();
    ice.update('connected');
    ice.update('failed');
    expect(restarts).toEqual([0]);
  });

  it('gives a disconnected connection a grace period to recover on its own', () => {
    const { ice, restarts, clock } = watch();
    ice.update('disconnected');
    clock.advance(DISCONNECTED_GRACE_MS - 1);
    ice.update('connected');
    clock.advance(10_000);
    expect(restarts).toEqual([]);
    const droppedAt = clock.time;
    ice.update('disconnected');
    clock.advance(DISCONNECTED_GRACE_MS);
    expect(restarts).toEqual([droppedAt + DISCONNECTED_GRACE_MS]);
  });

  it('does not restart more often than the minimum interval', () => {
    const { ice, restarts, clock } = watch();
    clock.advance(100_000);
    ice.update('failed');
    ice.update('checking');
    ice.update('failed');
    expect(restarts).toEqual([100_000]);
    clock.advance(MIN_RESTART_INTERVAL_MS);
    expect(restarts).toEqual([100_000, 100_000 + MIN_RESTART_INTERVAL_MS]);
  });

  it('restarts when the network comes back, and stops watching when told', () => {
    const { ice, restarts, clock } = watch();
    ice.update('disconnected');
    ice.nudge();
    expect(restarts).toEqual([0]);
    clock.advance(MIN_RESTART_INTERVAL_MS + 1);
    ice.update('disconnected');
    ice.stop();
    clock.advance(60_000);
    expect(restarts).toEqual([0]);
  });
});
