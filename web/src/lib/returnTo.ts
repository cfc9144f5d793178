/**
 * Remembers where to come back to after logging in, across the detour of signing up and
 * verifying an email (which opens a new tab from the email), for one day at most.
 */
import { safeNext } from './routes';

const KEY = 'maille.return-to';
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

export function rememberReturn(path: string, now = Date.now()): void {
  if (safeNext(path) === null) return;
  try {
    localStorage.setItem(KEY, JSON.stringify({ path, at: now }));
  } catch {
    // Without storage the visitor just lands on the home page after logging in.
  }
}

/** Returns the remembered path, if any and still fresh, and forgets it. */
export function takeReturn(now = Date.now()): string | null {
  try {
    const raw = localStorage.getItem(KEY);
    localStorage.removeItem(KEY);
    if (raw === null) return null;
    const saved = JSON.parse(raw) as { path?: unknown; at?: unknown };
    if (typeof saved.path !== 'string' || typeof saved.at !== 'number' || now - saved.at > MAX_AGE_MS) {
      return null;
    }
    return safeNext(saved.path);
  } catch {
    return null;
  }
}
