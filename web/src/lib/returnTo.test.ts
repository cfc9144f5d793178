import { beforeEach, describe, expect, it, vi } from 'vitest';
import { rememberReturn, takeReturn } from './returnTo';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

beforeEach(() => vi.stubGlobal('localStorage', memoryStorage()));

describe('return after login', () => {
  it('gives back a remembered local path once', () => {
    rememberReturn('/join/abc', 1000);
    expect(takeReturn(2000)).toBe('/join/abc');
    expect(takeReturn(3000)).toBeNull();
  });

  it('forgets paths older than a day and refuses other sites', () => {
    rememberReturn('/join/abc', 0);
    expect(takeReturn(25 * 60 * 60 * 1000)).toBeNull();
    rememberReturn('//evil.example/x', 0);
    expect(takeReturn(1)).toBeNull();
  });
});
