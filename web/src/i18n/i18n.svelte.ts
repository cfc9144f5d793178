/**
 * The interface language as reactive state, and the translation functions the components use.
 * Reading `t(...)` inside a template re-renders it when the language changes.
 */
import type { Language } from '../api';
import { ApiError } from '../api';
import { en, type MessageKey } from './en';
import { fr } from './fr';
import { detectLanguage, interpolate, isLanguage } from './detect';

const dictionaries: Record<Language, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = 'maille.language';

const state = $state<{ language: Language }>({ language: 'en' });

export function currentLanguage(): Language {
  return state.language;
}

/** Sets the interface language (and the document's `lang`); `remember` keeps it for next visits. */
export function setLanguage(language: Language, remember = false): void {
  state.language = language;
  if (typeof document !== 'undefined') {
    document.documentElement.lang = language;
  }
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, language);
    } catch {
      // Storage can be disabled; the choice then lasts for this page only.
    }
  }
}

/** Chooses the language for a visitor before their account (if any) is known. */
export function initLanguage(fallback: Language = 'en'): void {
  let chosen: string | null = null;
  try {
    chosen = localStorage.getItem(STORAGE_KEY);
  } catch {
    chosen = null;
  }
  const browser = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);
  setLanguage(detectLanguage(chosen, browser, fallback));
}

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

export function t(key: MessageKey, values?: Record<string, string | number>): string {
  return interpolate(dictionaries[state.language][key], values);
}

/** Picks `key.one` or `key.other` by the plural rules of the current language. */
export function tn(key: string, count: number, values: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(state.language).select(count) === 'one' ? 'one' : 'other';
  const full = `${key}.${form}`;
  return hasMessage(full) ? t(full, { count, ...values }) : String(count);
}

/** A failure found in the browser before any request, translated by its message key. */
export class LocalError extends Error {
  constructor(readonly key: MessageKey) {
    super(key);
  }
}

/** A translated message for any error thrown by an API call. */
export function errorMessage(error: unknown): string {
  if (error instanceof LocalError) {
    return t(error.key);
  }
  if (!(error instanceof ApiError)) {
    return t('error.unexpected');
  }
  if (error.code === 'validation_failed' && error.field) {
    const specific = `error.validation_failed.${error.field}`;
    if (hasMessage(specific)) return t(specific);
    const fieldName = `field.${error.field}`;
    return t('error.validation_failed.field', { field: hasMessage(fieldName) ? t(fieldName) : error.field });
  }
  if (error.code === 'too_many_requests' && error.retryAfter !== undefined) {
    return t('error.too_many_requests.retry', { seconds: error.retryAfter });
  }
  const byCode = `error.${error.code}`;
  if (hasMessage(byCode)) return t(byCode);
  if (error.status === 401) return t('error.not_authenticated');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.not_found');
  if (error.status === 413) return t('error.payload_too_large');
  if (error.status >= 500) return t('error.server');
  return t('error.unexpected');
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Formats a Unix timestamp (seconds) as a date and time in the current language. */
export function formatDate(seconds: number | null | undefined, withTime = true): string {
  if (seconds === null || seconds === undefined) return '—';
  const cacheKey = `${state.language}-${withTime}`;
  let format = dateFormats.get(cacheKey);
  if (!format) {
    format = new Intl.DateTimeFormat(state.language === 'fr' ? 'fr-FR' : 'en-GB', {
      dateStyle: 'medium',
      ...(withTime ? { timeStyle: 'short' } : {}),
    });
    dateFormats.set(cacheKey, format);
  }
  return format.format(new Date(seconds * 1000));
}

export { isLanguage };
