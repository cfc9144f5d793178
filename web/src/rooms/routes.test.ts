import { describe, expect, it } from 'vitest';
import { matchRoute } from '../lib/routes';
import { roomLink } from './api';
import { roomSocketUrl } from './client';

describe('room addresses', () => {
  it('opens rooms at /rooms/{id}', () => {
    expect(matchRoute('/rooms/Ab3_x-9ZqWcd0123456789')).toEqual({ name: 'room', id: 'Ab3_x-9ZqWcd0123456789' });
    expect(matchRoute('/rooms/abc/')).toEqual({ name: 'room', id: 'abc' });
    expect(matchRoute('/rooms/a/b')).toEqual({ name: 'not-found' });
    expect(matchRoute('/rooms/')).toEqual({ name: 'not-found' });
  });

  it('builds the link and the signalling address', () => {
    expect(roomLink('abc', 'https://maille.example')).toBe('https://maille.example/rooms/abc');
    expect(roomSocketUrl({ protocol: 'https:', host: 'maille.example' }, 'a/b')).toBe('wss://maille.example/ws/rooms/a%2Fb');
    expect(roomSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 'abc')).toBe('ws://127.0.0.1:8080/ws/rooms/abc');
  });
});
