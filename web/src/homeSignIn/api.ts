/**
 * Client of signing in with one's home instance (docs/federation.md, "Signing in with one's
 * home instance"), and of adding people of other instances to a space.
 */
import { request, type Session } from '../api';

/** Where to send the browser next. */
export interface Redirect {
  redirect: string;
}

/** A session opened by a home instance's proof, and the page to open now. */
export interface SignedIn extends Session {
  return_to: string;
}

/** What another instance asks of my home instance, as its link carries it. */
export interface Authorization {
  audience: string;
  nonce: string;
  callback: string;
  handle?: string;
}

/** What the confirmation page shows. */
export interface AuthorizationPreview {
  audience_domain: string;
  handle: string;
  other_account_expected: boolean;
}

/** A member of a space, as the space's members see them. */
export interface SpaceMember {
  username: string;
  display_name: string;
  role: string;
  joined_at: number;
}

function queryOf(params: Authorization): string {
  const search = new URLSearchParams();
  search.set('audience', params.audience);
  search.set('nonce', params.nonce);
  search.set('callback', params.callback);
  if (params.handle) search.set('handle', params.handle);
  return `?${search.toString()}`;
}

/** Reads the request of another instance from this page's address; null when incomplete. */
export function authorizationFrom(search: string): Authorization | null {
  const params = new URLSearchParams(search);
  const audience = params.get('audience');
  const nonce = params.get('nonce');
  const callback = params.get('callback');
  if (!audience || !nonce || !callback) return null;
  const handle = params.get('handle');
  return handle ? { audience, nonce, callback, handle } : { audience, nonce, callback };
}

/** The assertion in a `#assertion=…` fragment, if any. */
export function assertionFrom(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const assertion = params.get('assertion');
  return assertion && assertion.length > 0 ? assertion : null;
}

export const homeSignInApi = {
  /** On this instance: starts signing in as `@name@host`. */
  start: (handle: string, returnTo: string) =>
    request<Redirect>('POST', '/api/federation/home-sign-in', { handle, return_to: returnTo }),
  /** On this instance: brings the home instance's proof back. */
  finish: (assertion: string) =>
    request<SignedIn>('POST', '/api/federation/home-sign-in/finish', { assertion }),
  /** On the home instance: what the confirmation page shows. */
  preview: (params: Authorization) =>
    request<AuthorizationPreview>('GET', `/api/federation/home-sign-in/authorize${queryOf(params)}`),
  /** On the home instance: agrees, and gets the address to go back to. */
  authorize: (params: Authorization) =>
    request<Redirect>('POST', '/api/federation/home-sign-in/authorize', params),
  /** Adds `@name@host` to a space. */
  addRemoteMember: (space: string, handle: string, role: 'member' | 'moderator') =>
    request<SpaceMember>('POST', `/api/federation/spaces/${encodeURIComponent(space)}/members`, { handle, role }),
};
