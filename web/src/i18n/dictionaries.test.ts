import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { detectLanguage, interpolate } from './detect';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

describe('dictionaries', () => {
  it('have exactly the same keys', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty values', () => {
    for (const [language, dictionary] of Object.entries({ en, fr })) {
      for (const [key, value] of Object.entries(dictionary)) {
        expect(typeof value, `${language} ${key}`).toBe('string');
        expect(value.trim(), `${language} ${key}`).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(placeholders(fr[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('translate every error code of the API contract', () => {
    const codes = [
      'validation_failed',
      'username_taken',
      'registration_closed',
      'invite_required',
      'invite_invalid',
      'invalid_token',
      'invalid_credentials',
      'email_not_verified',
      'pending_approval',
      'account_disabled',
      'too_many_requests',
      'not_authenticated',
      'csrf_failed',
      'sole_owner',
      'handle_taken',
    ];
    for (const code of codes) {
      expect(Object.keys(en), code).toContain(`error.${code}`);
    }
  });

  it('are really translated (French differs from English in most messages)', () => {
    const keys = Object.keys(en) as Array<keyof typeof en>;
    const same = keys.filter((key) => en[key] === fr[key]);
    expect(same.length / keys.length).toBeLessThan(0.1);
  });
});

describe('detectLanguage', () => {
  it('prefers an explicit choice, then the browser order, then the fallback', () => {
    expect(detectLanguage('en', ['fr-FR'])).toBe('en');
    expect(detectLanguage(null, ['fr-FR', 'en-US'])).toBe('fr');
    expect(detectLanguage(null, ['de-DE', 'en-GB', 'fr'])).toBe('en');
    expect(detectLanguage(null, ['de-DE'], 'fr')).toBe('fr');
    expect(detectLanguage('xx', ['FR-be'])).toBe('fr');
    expect(detectLanguage(null, [])).toBe('en');
  });
});

describe('interpolate', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(interpolate('Hello, {name} ({n})', { name: 'Ana', n: 3 })).toBe('Hello, Ana (3)');
    expect(interpolate('{missing}', {})).toBe('{missing}');
  });
});
