/**
 * The rooms' REST API (`/api/rooms`, docs/api.md). An anonymous room is moderated by whoever
 * holds its moderator key, given once at creation: this browser keeps it and sends it in the
 * `X-Room-Key` header.
 */
import { ApiError, getCsrfToken, request, type Instance } from '../api';

export type RoomOwner = { kind: 'user'; username: string } | { kind: 'space'; handle: string } | { kind: 'none' };

export interface Room {
  id: string;
  name: string;
  owner: RoomOwner;
  has_password: boolean;
  lobby: boolean;
  locked: boolean;
  /** Announced to the followers of its owner (absent on older servers). */
  public?: boolean;
  max_participants: number;
  /** People in the meeting now. */
  participants: number;
  can_moderate: boolean;
  moderators: string[];
  created_at: number;
  /** Only in the answer that created an anonymous room. */
  moderator_key?: string;
}

export interface NewRoom {
  name: string;
  space?: string;
  password?: string;
  lobby?: boolean;
  max_participants?: number;
  /** Announced to the followers of its owner (a user's or a space's room). */
  public?: boolean;
}

export interface RoomChanges {
  name?: string;
  /** An empty string removes the password. */
  password?: string;
  lobby?: boolean;
  locked?: boolean;
  max_participants?: number;
  moderators?: string[];
}

/** Whether this instance lets visitors who are not logged in create rooms. */
export function anonymousRoomsAllowed(instance: Instance | null): boolean {
  return instance?.anonymous_rooms === true;
}

const keyStorage = (id: string): string => `maille.room.key.${id}`;

/** The moderator key of an anonymous room created in this browser. */
export function moderatorKey(id: string): string | null {
  try {
    return localStorage.getItem(keyStorage(id));
  } catch {
    return null;
  }
}

export function rememberModeratorKey(id: string, key: string): void {
  try {
    localStorage.setItem(keyStorage(id), key);
  } catch {
    // Without storage, the key lasts as long as the page (it is also in the link shown).
  }
}

/** The link to a room on this site. */
export function roomLink(id: string, origin = location.origin): string {
  return `${origin}/rooms/${encodeURIComponent(id)}`;
}

const seg = encodeURIComponent;

/** Sends a request with the room's moderator key, when this browser holds one. */
async function keyed<T>(method: 'GET' | 'PATCH' | 'DELETE', id: string, body?: unknown): Promise<T> {
  const key = moderatorKey(id);
  if (key === null) return request<T>(method, `/api/rooms/${seg(id)}`, body);
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Room-Key': key };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const csrf = getCsrfToken();
  if (method !== 'GET' && csrf !== null) headers['X-CSRF-Token'] = csrf;
  let response: Response;
  try {
    response = await fetch(`/api/rooms/${seg(id)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, 'network_error', cause instanceof Error ? cause.message : String(cause));
  }
  const text = await response.text();
  let decoded: unknown = undefined;
  try {
    decoded = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    decoded = undefined;
  }
  if (!response.ok) {
    const error = (decoded ?? {}) as { code?: unknown; message?: unknown; field?: unknown };
    throw new ApiError(
      response.status,
      typeof error.code === 'string' ? error.code : `http_${response.status}`,
      typeof error.message === 'string' ? error.message : response.statusText,
      { field: typeof error.field === 'string' ? error.field : undefined },
    );
  }
  return decoded as T;
}

export const roomsApi = {
  create: async (form: NewRoom): Promise<Room> => {
    const room = await request<Room>('POST', '/api/rooms', form);
    if (room.moderator_key) rememberModeratorKey(room.id, room.moderator_key);
    return room;
  },
  list: (space?: string) => request<Room[]>('GET', `/api/rooms${space ? `?space=${seg(space)}` : ''}`),
  get: (id: string) => keyed<Room>('GET', id),
  update: (id: string, changes: RoomChanges) => keyed<Room>('PATCH', id, changes),
  remove: (id: string) => keyed<void>('DELETE', id),
};
