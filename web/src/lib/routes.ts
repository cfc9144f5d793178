/** The pages of the app. Their paths are fixed: emails sent by the server link to them. */
export type Route =
  | { name: 'home' }
  | { name: 'signup' }
  | { name: 'login' }
  | { name: 'verify-email' }
  | { name: 'forgot-password' }
  | { name: 'reset-password' }
  | { name: 'confirm-email' }
  | { name: 'settings' }
  | { name: 'new-space' }
  | { name: 'space'; handle: string }
  | { name: 'join'; token: string }
  | { name: 'pad'; id: string }
  | { name: 'room'; id: string }
  | { name: 'admin' }
  | { name: 'feed' }
  | { name: 'network' }
  | { name: 'profile'; username: string }
  | { name: 'home-sign-in-authorize' }
  | { name: 'home-sign-in-finish' }
  | { name: 'not-found' };

const fixed: Record<string, Route['name']> = {
  '/': 'home',
  '/signup': 'signup',
  '/login': 'login',
  '/verify-email': 'verify-email',
  '/forgot-password': 'forgot-password',
  '/reset-password': 'reset-password',
  '/confirm-email': 'confirm-email',
  '/settings': 'settings',
  '/spaces/new': 'new-space',
  '/admin': 'admin',
  '/feed': 'feed',
  '/network': 'network',
  // Signing in with one's home instance: the home instance's confirmation, and the return
  // here (their addresses are published to other instances: see docs/federation.md).
  '/home-sign-in/authorize': 'home-sign-in-authorize',
  '/home-sign-in/finish': 'home-sign-in-finish',
};

function decodeSegment(segment: string): string | null {
  try {
    const value = decodeURIComponent(segment);
    return value === '' || value.includes('/') ? null : value;
  } catch {
    return null;
  }
}

/** Maps a URL path to a page; a trailing slash is ignored. */
export function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') || '/' : pathname;
  const name = fixed[path];
  if (name !== undefined) {
    return { name } as Route;
  }
  const dynamic = /^\/(s|join|p|rooms|u)\/([^/]+)$/.exec(path);
  if (dynamic) {
    const value = decodeSegment(dynamic[2] ?? '');
    if (value !== null) {
      if (dynamic[1] === 'p') return { name: 'pad', id: value };
      if (dynamic[1] === 'rooms') return { name: 'room', id: value };
      if (dynamic[1] === 'u') return { name: 'profile', username: value };
      return dynamic[1] === 's' ? { name: 'space', handle: value } : { name: 'join', token: value };
    }
  }
  return { name: 'not-found' };
}

/**
 * Accepts a path to come back to after logging in only if it stays on this site:
 * it must start with one slash (not `//host` nor `/\host`, which browsers treat as another origin).
 */
export function safeNext(next: string | null | undefined): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return null;
  }
  return next;
}

/**
 * Suggests a space handle from its name. Handles (of users and spaces alike) are 2 to 30
 * characters among a-z, 0-9 and `_`, starting with a letter or a digit.
 */
export function suggestHandle(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30)
    .replace(/_+$/g, '');
}
