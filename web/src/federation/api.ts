/**
 * Client of the federation API (docs/api.md, Federation): following across instances, the
 * feed of public work, and the admin's choices of who may federate. Every call that acts as
 * someone takes an optional space handle: then it acts as that space (its owners and
 * moderators).
 */
import { request } from '../api';

export type FollowState = 'pending' | 'accepted';

/** A follow between me (or a space) and an account of another instance. */
export interface Follow {
  id: string;
  handle: string;
  display_name: string;
  actor_type: string;
  actor_id: string;
  url: string | null;
  icon: string | null;
  state: FollowState;
  created_at: number;
}

/** How others find me (or a space) across instances. */
export interface FederationProfile {
  handle: string;
  actor_id: string;
  manual_approval: boolean;
  followers: number;
  following: number;
}

export interface FeedActor {
  id: string;
  handle: string;
  display_name: string;
  url: string | null;
}

/** A public pad, room or post of someone I follow. `summary` is plain text. */
export interface FeedItem {
  id: string;
  kind: 'pad' | 'room' | 'note';
  title: string;
  summary: string;
  url: string;
  author: FeedActor;
  via: FeedActor | null;
  published_at: number;
  updated_at: number;
}

export type DomainPolicy = 'block' | 'allow';

export interface DomainRule {
  domain: string;
  policy: DomainPolicy;
  reason: string;
  created_at: number;
}

export interface DomainRules {
  mode: 'open' | 'allowlist' | 'off';
  signed_fetch_required: boolean;
  domains: DomainRule[];
}

/** Delivery state of an instance that was delivered to. */
export interface InstanceState {
  domain: string;
  state: 'ok' | 'backoff' | 'dead';
  failures: number;
  first_failure_at: number | null;
  next_attempt_at: number;
  last_success_at: number | null;
  last_error: string;
  updated_at: number;
}

const seg = encodeURIComponent;

function as(space?: string): string {
  return space ? `?space=${seg(space)}` : '';
}

export const federationApi = {
  follow: (handle: string, space?: string) => request<Follow>('POST', `/api/federation/follows${as(space)}`, { handle }),
  unfollow: (id: string, space?: string) => request<void>('DELETE', `/api/federation/follows/${seg(id)}${as(space)}`),
  following: (space?: string) => request<Follow[]>('GET', `/api/federation/following${as(space)}`),
  followers: (space?: string) => request<Follow[]>('GET', `/api/federation/followers${as(space)}`),
  approve: (id: string, space?: string) =>
    request<unknown>('POST', `/api/federation/followers/${seg(id)}/approve${as(space)}`),
  reject: (id: string, space?: string) =>
    request<unknown>('POST', `/api/federation/followers/${seg(id)}/reject${as(space)}`),
  removeFollower: (id: string, space?: string) =>
    request<void>('DELETE', `/api/federation/followers/${seg(id)}${as(space)}`),
  profile: (space?: string) => request<FederationProfile>('GET', `/api/federation/profile${as(space)}`),
  updateProfile: (manual_approval: boolean, space?: string) =>
    request<FederationProfile>('PUT', `/api/federation/profile${as(space)}`, { manual_approval }),
  feed: (before?: number) =>
    request<FeedItem[]>('GET', `/api/federation/feed${before === undefined ? '' : `?before=${before}`}`),

  adminDomains: () => request<DomainRules>('GET', '/api/admin/federation/domains'),
  setDomain: (domain: string, policy: DomainPolicy, reason: string) =>
    request<unknown>('PUT', `/api/admin/federation/domains/${seg(domain)}`, { policy, reason }),
  removeDomain: (domain: string) => request<void>('DELETE', `/api/admin/federation/domains/${seg(domain)}`),
  adminInstances: () => request<InstanceState[]>('GET', '/api/admin/federation/instances'),
};

/** A local actor's public document (`/ap/users/{name}`, `/ap/spaces/{handle}`), as a profile page shows it. */
export interface PublicActor {
  name: string;
  preferredUsername: string;
  summary: string;
  type: string;
}

/** Reads a local actor's ActivityPub document; null when there is no such actor. */
export async function publicActor(kind: 'user' | 'space', name: string): Promise<PublicActor | null> {
  const path = kind === 'user' ? `/ap/users/${seg(name)}` : `/ap/spaces/${seg(name)}`;
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/activity+json' }, credentials: 'same-origin' });
  } catch {
    return null;
  }
  if (!response.ok) return null;
  try {
    const body = (await response.json()) as Record<string, unknown>;
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return {
      name: text(body.name),
      preferredUsername: text(body.preferredUsername) || name,
      summary: text(body.summary),
      type: text(body.type),
    };
  } catch {
    return null;
  }
}
