import { describe, expect, it } from 'vitest';
import { cleanName, guestNumber, loadIdentity, randomId } from './identity';
import { colorFor } from './colors';

describe('identity', () => {
  it('uses the account for logged-in people', () => {
    const me = loadIdentity({ id: 'U42', name: '  Ana   Martin ' }, () => 'Guest');
    expect(me).toEqual({ id: 'u-U42', name: 'Ana Martin', color: colorFor('u-U42') });
  });

  it('gives visitors a random id and a numbered guest name', () => {
    const visitor = loadIdentity(null, (id) => `Guest ${guestNumber(id)}`);
    expect(visitor.id).toMatch(/^a-[A-Za-z0-9_-]{22}$/);
    expect(visitor.name).toMatch(/^Guest \d{1,2}$/);
    expect(guestNumber(visitor.id)).toBeGreaterThanOrEqual(1);
    expect(guestNumber(visitor.id)).toBeLessThanOrEqual(99);
  });

  it('makes unguessable ids and tidy names', () => {
    expect(new Set(Array.from({ length: 50 }, randomId)).size).toBe(50);
    expect(cleanName(`a\n\tb ${'x'.repeat(100)}`)).toHaveLength(60);
  });
});
