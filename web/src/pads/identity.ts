/**
 * Who I am in a pad: an author id (the key of the authorship marks and of the "authors" map),
 * a name and a colour. A logged-in person is their account; a visitor without an account gets
 * a random id kept in this browser, so their text stays theirs across visits, as on Etherpad.
 */
import { colorFor, isColor } from './colors';

export interface Identity {
  id: string;
  name: string;
  color: string;
}

const STORAGE_KEY = 'maille.pad.identity';

/** 16 random bytes in base64url, like the server's ids. */
export function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

interface Stored {
  id?: unknown;
  name?: unknown;
  color?: unknown;
}

function readStored(): Stored {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const value: unknown = raw ? JSON.parse(raw) : null;
    return value && typeof value === 'object' ? (value as Stored) : {};
  } catch {
    return {};
  }
}

function writeStored(value: Identity): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
  } catch {
    // Storage can be disabled: the identity then lasts for this page.
  }
}

/** Trims a display name to something sensible to show in carets and the legend. */
export function cleanName(name: string): string {
  return name.replace(/\s+/g, ' ').trim().slice(0, 60);
}

/**
 * My identity in pads. `account` is the logged-in user (their id and name win); `fallbackName`
 * names a visitor who has not chosen a name yet.
 */
export function loadIdentity(account: { id: string; name: string } | null, fallbackName: (id: string) => string): Identity {
  const stored = readStored();
  if (account) {
    const id = `u-${account.id}`;
    const color = stored.id === id && isColor(stored.color) ? stored.color : colorFor(id);
    return { id, name: cleanName(account.name) || fallbackName(id), color };
  }
  const id = typeof stored.id === 'string' && /^a-[A-Za-z0-9_-]{8,}$/.test(stored.id) ? stored.id : `a-${randomId()}`;
  const name = typeof stored.name === 'string' && cleanName(stored.name) ? cleanName(stored.name) : fallbackName(id);
  const color = isColor(stored.color) ? stored.color : colorFor(id);
  const identity = { id, name, color };
  writeStored(identity);
  return identity;
}

/** A number from 1 to 99 that tells unnamed visitors apart ("Guest 42"). */
export function guestNumber(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return (hash % 99) + 1;
}

/** Remembers a visitor's chosen name (an account's name comes from the account). */
export function saveIdentity(identity: Identity): void {
  writeStored(identity);
}
