import { describe, expect, it } from 'vitest';
import type { FeedItem, Follow } from './api';
import { formatHandle, mergeFeed, nextBefore, parseHandle, safeLink, sortFollows } from './handle';

const follow = (id: string, state: 'pending' | 'accepted', created_at: number): Follow => ({
  id,
  handle: `@${id}@b.example`,
  display_name: id,
  actor_type: 'Person',
  actor_id: `https://b.example/users/${id}`,
  url: null,
  icon: null,
  state,
  created_at,
});

const item = (id: string, published_at: number): FeedItem => ({
  id,
  kind: 'pad',
  title: id,
  summary: '',
  url: `https://b.example/p/${id}`,
  author: { id: 'https://b.example/ap/users/bea', handle: '@bea@b.example', display_name: '', url: null },
  via: null,
  published_at,
  updated_at: published_at,
});

describe('handles', () => {
  it('reads @name@host with or without the first @', () => {
    expect(parseHandle('@alice@maille.example.org')).toEqual({ name: 'alice', host: 'maille.example.org' });
    expect(parseHandle('  bob@Mastodon.Social ')).toEqual({ name: 'bob', host: 'mastodon.social' });
    expect(parseHandle('carol@localhost:8080')).toEqual({ name: 'carol', host: 'localhost:8080' });
    expect(formatHandle('alice', 'a.example')).toBe('@alice@a.example');
  });

  it('refuses what is not a handle', () => {
    for (const bad of ['alice', '@alice', 'alice@', '@a@b@c', 'a@b/c', 'a b@c.example', 'a@.example', 'a@ex_ample.org']) {
      expect(parseHandle(bad), bad).toBeNull();
    }
  });
});

describe('lists', () => {
  it('puts followers waiting for approval first', () => {
    const sorted = sortFollows([follow('a', 'accepted', 3), follow('b', 'pending', 1), follow('c', 'accepted', 5)]);
    expect(sorted.map((f) => f.id)).toEqual(['b', 'c', 'a']);
  });

  it('merges feed pages without repeats, newest first', () => {
    const merged = mergeFeed([item('x', 10), item('y', 5)], [item('y', 5), item('z', 1)]);
    expect(merged.map((i) => i.id)).toEqual(['x', 'y', 'z']);
    expect(nextBefore([item('a', 9), item('b', 4)], 2)).toBe(4);
    expect(nextBefore([item('a', 9)], 2)).toBeUndefined();
  });

  it('follows only http and https links', () => {
    expect(safeLink('https://b.example/p/abc')).toBe('https://b.example/p/abc');
    expect(safeLink('javascript:alert(1)')).toBeNull();
    expect(safeLink('not a url')).toBeNull();
  });
});

describe('federation pages', () => {
  it('have their routes', async () => {
    const { matchRoute } = await import('../lib/routes');
    expect(matchRoute('/feed')).toEqual({ name: 'feed' });
    expect(matchRoute('/network/')).toEqual({ name: 'network' });
    expect(matchRoute('/u/alice')).toEqual({ name: 'profile', username: 'alice' });
    expect(matchRoute('/u/').name).toBe('not-found');
  });
});
