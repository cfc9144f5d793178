import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { LocalError, errorMessage, setLanguage, t, tn } from './i18n.svelte';

afterEach(() => setLanguage('en'));

describe('errorMessage', () => {
  it('translates API error codes in the current language', () => {
    const error = new ApiError(401, 'invalid_credentials', 'invalid login or password');
    setLanguage('en');
    expect(errorMessage(error)).toBe('Wrong username, email address or password.');
    setLanguage('fr');
    expect(errorMessage(error)).toBe('Nom d’utilisateur, adresse e-mail ou mot de passe incorrect.');
  });

  it('names the field of a validation error', () => {
    expect(errorMessage(new ApiError(422, 'validation_failed', 'x', { field: 'password' }))).toMatch(/12 to 128/);
    expect(errorMessage(new ApiError(422, 'validation_failed', 'x', { field: 'email' }))).toBe(
      'This email address is not valid.',
    );
    expect(errorMessage(new ApiError(422, 'validation_failed', 'x', { field: 'reason' }))).toBe(
      'Please check this field: Why do you want to join?.',
    );
    expect(errorMessage(new ApiError(422, 'validation_failed', 'x', { field: 'mystery' }))).toBe(
      'Please check this field: mystery.',
    );
  });

  it('says when to retry after too many attempts', () => {
    expect(errorMessage(new ApiError(429, 'too_many_requests', 'x', { retryAfter: 42 }))).toBe(
      'Too many attempts. Please try again in 42 seconds.',
    );
  });

  it('falls back on the status for unknown codes, and never shows the English server message', () => {
    setLanguage('fr');
    expect(errorMessage(new ApiError(403, 'brand_new_code', 'English text'))).toBe('Vous n’avez pas le droit de faire cela.');
    expect(errorMessage(new ApiError(502, 'http_502', 'Bad Gateway'))).toBe(
      'Une erreur s’est produite sur le serveur. Réessayez plus tard.',
    );
    expect(errorMessage(new ApiError(418, 'teapot', 'English text'))).toBe('Un problème inattendu est survenu. Réessayez.');
    expect(errorMessage(new Error('boom'))).toBe('Un problème inattendu est survenu. Réessayez.');
  });

  it('translates failures found in the browser', () => {
    expect(errorMessage(new LocalError('error.passwords_differ'))).toBe('The two new passwords are different.');
  });
});

describe('t and tn', () => {
  it('fill placeholders and pick plural forms per language', () => {
    expect(t('home.hello', { name: 'Ana' })).toBe('Hello, Ana');
    expect(tn('space.member_count', 1)).toBe('1 member');
    expect(tn('space.member_count', 3)).toBe('3 members');
    setLanguage('fr');
    expect(tn('space.member_count', 0)).toBe('0 membre');
    expect(tn('space.member_count', 2)).toBe('2 membres');
  });
});
