import { describe, expect, it } from 'vitest';
import { matchRoute } from '../lib/routes';
import { assertionFrom, authorizationFrom } from './api';

describe('home sign-in links', () => {
  it('reads another instance’s request, and refuses an incomplete one', () => {
    const search = '?audience=https%3A%2F%2Fa.example&nonce=n0nce&callback=https%3A%2F%2Fa.example%2Fhome-sign-in%2Ffinish&handle=bob%40b.example';
    expect(authorizationFrom(search)).toEqual({
      audience: 'https://a.example',
      nonce: 'n0nce',
      callback: 'https://a.example/home-sign-in/finish',
      handle: 'bob@b.example',
    });
    expect(authorizationFrom('?audience=https%3A%2F%2Fa.example&nonce=n0nce')).toBeNull();
  });

  it('takes the assertion from the fragment only', () => {
    expect(assertionFrom('#assertion=abc.def')).toBe('abc.def');
    expect(assertionFrom('#other=1')).toBeNull();
    expect(assertionFrom('')).toBeNull();
  });

  it('has pages at the published addresses', () => {
    expect(matchRoute('/home-sign-in/authorize')).toEqual({ name: 'home-sign-in-authorize' });
    expect(matchRoute('/home-sign-in/finish/')).toEqual({ name: 'home-sign-in-finish' });
  });
});
