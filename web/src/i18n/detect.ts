import type { Language } from '../api';

export const LANGUAGES: readonly Language[] = ['fr', 'en'];

export function isLanguage(value: unknown): value is Language {
  return value === 'fr' || value === 'en';
}

/**
 * Picks the interface language for a visitor who is not logged in: an explicit choice made
 * with the switcher first, then the first of the browser's preferred languages that Maille
 * speaks, then the instance default.
 */
export function detectLanguage(
  chosen: string | null,
  browserLanguages: readonly string[],
  fallback: Language = 'en',
): Language {
  if (isLanguage(chosen)) {
    return chosen;
  }
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLanguage(primary)) {
      return primary;
    }
  }
  return fallback;
}

/** Replaces `{name}` placeholders with the given values; unknown placeholders stay visible. */
export function interpolate(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole,
  );
}
