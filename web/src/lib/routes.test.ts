import { describe, expect, it } from 'vitest';
import { matchRoute, safeNext, suggestHandle } from './routes';

describe('matchRoute', () => {
  it('maps the fixed paths that emails link to', () => {
    expect(matchRoute('/').name).toBe('home');
    expect(matchRoute('/signup').name).toBe('signup');
    expect(matchRoute('/login').name).toBe('login');
    expect(matchRoute('/verify-email').name).toBe('verify-email');
    expect(matchRoute('/forgot-password').name).toBe('forgot-password');
    expect(matchRoute('/reset-password').name).toBe('reset-password');
    expect(matchRoute('/confirm-email').name).toBe('confirm-email');
    expect(matchRoute('/settings').name).toBe('settings');
    expect(matchRoute('/spaces/new').name).toBe('new-space');
    expect(matchRoute('/admin').name).toBe('admin');
    expect(matchRoute('/login/').name).toBe('login');
  });

  it('extracts space handles and invitation tokens', () => {
    expect(matchRoute('/s/club_photo')).toEqual({ name: 'space', handle: 'club_photo' });
    expect(matchRoute('/join/abc_DEF-123')).toEqual({ name: 'join', token: 'abc_DEF-123' });
    expect(matchRoute('/s/caf%C3%A9')).toEqual({ name: 'space', handle: 'café' });
  });

  it('opens pads by their edit or read id', () => {
    expect(matchRoute('/p/Ab3_x-9ZqWcd0123456789')).toEqual({ name: 'pad', id: 'Ab3_x-9ZqWcd0123456789' });
    expect(matchRoute('/p/abc/')).toEqual({ name: 'pad', id: 'abc' });
    expect(matchRoute('/p/').name).toBe('not-found');
    expect(matchRoute('/p/a/b').name).toBe('not-found');
  });

  it('sends everything else to the not-found page', () => {
    for (const path of ['/nope', '/s', '/s/', '/s/a/b', '/join/', '/spaces', '/s/%E0', '/s/a%2Fb']) {
      expect(matchRoute(path).name, path).toBe('not-found');
    }
  });
});

describe('safeNext', () => {
  it('keeps local paths only', () => {
    expect(safeNext('/join/abc')).toBe('/join/abc');
    expect(safeNext('//evil.example')).toBeNull();
    expect(safeNext('/\\evil.example')).toBeNull();
    expect(safeNext('https://evil.example')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});

describe('suggestHandle', () => {
  it('turns a name into a handle', () => {
    expect(suggestHandle('Club Photo de Lyon')).toBe('club_photo_de_lyon');
    expect(suggestHandle('  Écoles & Mairies !')).toBe('ecoles_mairies');
    expect(suggestHandle('Association des jardins partagés du quartier')).toBe('association_des_jardins_partag');
    expect(suggestHandle('_x_')).toBe('x');
  });
});
