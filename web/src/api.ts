/**
 * Client for the Maille HTTP API (docs/api.md).
 *
 * Every call goes to the same origin with the session cookie; state-changing calls carry the
 * CSRF token obtained from `GET /api/session` or from login. Error answers
 * `{code, message, field?}` become an {@link ApiError} that the UI translates by `code`.
 */

export type Language = 'fr' | 'en';
export type RegistrationMode = 'open' | 'approval' | 'invite' | 'closed';
export type SpaceRole = 'owner' | 'moderator' | 'member';

export interface Instance {
  name: string;
  version: string;
  registration_mode: RegistrationMode;
  default_language: Language;
  /** Whether visitors who are not logged in may create pads (absent on older servers). */
  anonymous_pads?: boolean;
  /** Whether visitors who are not logged in may create video rooms (absent on older servers). */
  anonymous_rooms?: boolean;
}

export interface Me {
  id: string;
  username: string;
  email: string;
  display_name: string;
  language: Language;
  role: 'user' | 'admin';
  created_at: number;
  /** Someone of another instance, signed in with their home instance (no password here). */
  remote?: boolean;
}

export interface Session {
  user: Me;
  csrf_token: string;
}

export interface SignupForm {
  username: string;
  email: string;
  password: string;
  display_name?: string;
  language?: Language;
  invite_code?: string;
  reason?: string;
}

export interface SessionInfo {
  id: string;
  created_at: number;
  last_seen_at: number;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

export interface AdminUser extends Me {
  email_verified: boolean;
  approved: boolean;
  disabled: boolean;
  last_login_at: number | null;
  reason: string | null;
}

export type AdminUserStatus = 'all' | 'pending' | 'disabled' | 'admins';

export interface AdminUserPage {
  users: AdminUser[];
  total: number;
  page: number;
  per_page: number;
}

export interface InviteCode {
  code: string;
  link: string;
  uses: number;
  max_uses: number | null;
  expires_at: number | null;
  created_at: number;
}

export interface Space {
  handle: string;
  display_name: string;
  description: string;
  created_at: number;
  my_role: SpaceRole;
  member_count: number;
}

export interface Member {
  username: string;
  display_name: string;
  role: SpaceRole;
  joined_at: number;
}

export interface Invitation {
  id: string;
  email: string | null;
  role: SpaceRole;
  link?: string;
  created_at: number;
  expires_at: number | null;
}

export interface InvitationPreview {
  space: { handle: string; display_name: string; description: string };
  inviter: string | { username: string; display_name?: string };
  role: SpaceRole;
}

export type PadVisibility = 'private' | 'instance' | 'link' | 'public';
export type PadExpiry = 'day' | 'week' | 'month' | 'year' | 'never';

export type PadOwner = { kind: 'user'; username: string } | { kind: 'space'; handle: string } | { kind: 'none' };

export interface Pad {
  /** The edit id; null for callers who may only read. */
  id: string | null;
  read_id: string;
  title: string;
  visibility: PadVisibility;
  owner: PadOwner;
  history: boolean;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  deleted_at: number | null;
  access: 'edit' | 'read';
  can_manage: boolean;
}

/** A saved state of a pad (docs/api.md, pad history). */
export interface PadVersion {
  id: string;
  /** Empty for automatic versions. */
  name: string;
  automatic: boolean;
  /** The username of who saved it; null for automatic versions and gone accounts. */
  created_by: string | null;
  created_at: number;
}

/** A version's content, rendered by the server, to show read-only. */
export interface PadVersionContent {
  version: PadVersion;
  html: string;
  text: string;
}

export interface NewPad {
  title?: string;
  visibility?: PadVisibility;
  space?: string;
  expires_in?: PadExpiry;
  history?: boolean;
}

export interface PadChanges {
  title?: string;
  visibility?: PadVisibility;
  expires_in?: PadExpiry;
  history?: boolean;
}

/** An error answer of the API, or a failure to reach it (`status` 0, code `network_error`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** Seconds to wait, from the `Retry-After` header of a 429 answer. */
  readonly retryAfter: number | undefined;
  /** The whole decoded error body, for codes that carry more (for example `sole_owner`). */
  readonly body: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { field?: string; retryAfter?: number; body?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.retryAfter = options.retryAfter;
    this.body = options.body ?? {};
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | null = null;

/** Remembers the CSRF token of the current session (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

let sessionExpired: (() => void) | null = null;

/** Registers what to do when the server says the session is gone (`401 not_authenticated`). */
export function onSessionExpired(handler: (() => void) | null): void {
  sessionExpired = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function send(method: Method, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE_METHODS.has(method) && csrfToken !== null) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  try {
    return await fetch(path, init);
  } catch (cause) {
    throw new ApiError(0, 'network_error', cause instanceof Error ? cause.message : String(cause));
  }
}

async function toError(response: Response): Promise<ApiError> {
  const retryHeader = response.headers.get('Retry-After');
  const retrySeconds = retryHeader === null ? NaN : Number.parseInt(retryHeader, 10);
  const retryAfter = Number.isFinite(retrySeconds) ? retrySeconds : undefined;
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(await response.text());
  } catch {
    decoded = null;
  }
  if (decoded !== null && typeof decoded === 'object' && typeof (decoded as { code?: unknown }).code === 'string') {
    const body = decoded as Record<string, unknown>;
    const message = typeof body.message === 'string' ? body.message : String(body.code);
    const field = typeof body.field === 'string' ? body.field : undefined;
    return new ApiError(response.status, body.code as string, message, { field, retryAfter, body });
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText || 'unexpected answer', {
    retryAfter,
  });
}

async function decode<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (text.trim() === '') {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'the answer is not JSON');
  }
}

/**
 * Sends one request and decodes its JSON answer. When the server refuses a state-changing
 * request with `csrf_failed` (the token went stale, for example after a login in another tab),
 * the token is fetched again and the request retried once.
 */
export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 403 && UNSAFE_METHODS.has(method)) {
    const error = await toError(response);
    if (error.code !== 'csrf_failed' || !(await refreshCsrfToken())) {
      throw error;
    }
    response = await send(method, path, body);
  }
  if (!response.ok) {
    const error = await toError(response);
    if (error.status === 401 && error.code === 'not_authenticated') {
      sessionExpired?.();
    }
    throw error;
  }
  return decode<T>(response);
}

async function refreshCsrfToken(): Promise<boolean> {
  const response = await send('GET', '/api/session', undefined);
  if (!response.ok) {
    return false;
  }
  const session = await decode<Session>(response);
  if (typeof session?.csrf_token !== 'string') {
    return false;
  }
  csrfToken = session.csrf_token;
  return true;
}

/** Fetches a file-like answer (the account export) as a Blob. */
export async function download(path: string): Promise<Blob> {
  const response = await send('GET', path, undefined);
  if (!response.ok) {
    throw await toError(response);
  }
  return response.blob();
}

const seg = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Stores the CSRF token carried by a session answer and hands the session back. */
function keepToken(session: Session): Session {
  setCsrfToken(session.csrf_token);
  return session;
}

const EXPORT_FORMAT = { txt: 'text', md: 'markdown', html: 'html', odt: 'odt' } as const;

/** The address that downloads a pad in a format (plain text, Markdown, HTML or OpenDocument). */
export function exportUrl(id: string, format: keyof typeof EXPORT_FORMAT): string {
  return `/api/pads/${seg(id)}/export${query({ format: EXPORT_FORMAT[format] })}`;
}

/** One function per endpoint of docs/api.md. */
export const api = {
  instance: () => request<Instance>('GET', '/api/instance'),

  signup: (form: SignupForm) => request<{ status: 'verification_sent' }>('POST', '/api/accounts', form),
  verifyEmail: (token: string) =>
    request<{ status: 'verified' | 'pending_approval' }>('POST', '/api/accounts/verify-email', { token }),
  session: async () => keepToken(await request<Session>('GET', '/api/session')),
  login: async (login: string, password: string) =>
    keepToken(await request<Session>('POST', '/api/session', { login, password })),
  logout: async () => {
    await request<void>('DELETE', '/api/session');
    setCsrfToken(null);
  },

  requestPasswordReset: (email: string) => request<void>('POST', '/api/accounts/password-reset', { email }),
  confirmPasswordReset: (token: string, password: string) =>
    request<void>('POST', '/api/accounts/password-reset/confirm', { token, password }),

  me: () => request<Me>('GET', '/api/accounts/me'),
  updateMe: (changes: { display_name?: string; language?: Language }) =>
    request<Me>('PATCH', '/api/accounts/me', changes),
  changePassword: async (current_password: string, new_password: string) =>
    keepToken(await request<Session>('POST', '/api/accounts/me/password', { current_password, new_password })),
  changeEmail: (current_password: string, new_email: string) =>
    request<void>('POST', '/api/accounts/me/email', { current_password, new_email }),
  confirmEmail: (token: string) => request<Me>('POST', '/api/accounts/confirm-email', { token }),
  sessions: () => request<SessionInfo[]>('GET', '/api/accounts/me/sessions'),
  revokeSession: (id: string) => request<void>('DELETE', `/api/accounts/me/sessions/${seg(id)}`),
  exportMyData: () => download('/api/accounts/me/export'),
  /** Deletes my account: with my password, or, for someone of another instance, my handle. */
  deleteMe: async (confirmation: { password: string } | { confirm: string }) => {
    await request<void>('DELETE', '/api/accounts/me', confirmation);
    setCsrfToken(null);
  },

  adminUsers: (params: { q?: string; status?: AdminUserStatus; page?: number }) =>
    request<AdminUserPage>('GET', `/api/admin/users${query(params)}`),
  adminUserAction: (id: string, action: 'approve' | 'disable' | 'enable' | 'promote' | 'demote') =>
    request<AdminUser>('POST', `/api/admin/users/${seg(id)}/${action}`),
  adminSettings: () => request<{ registration_mode: RegistrationMode }>('GET', '/api/admin/settings'),
  updateAdminSettings: (registration_mode: RegistrationMode) =>
    request<{ registration_mode: RegistrationMode }>('PATCH', '/api/admin/settings', { registration_mode }),
  adminInvites: () => request<InviteCode[]>('GET', '/api/admin/invites'),
  createAdminInvite: (options: { max_uses?: number; expires_in_days?: number }) =>
    request<InviteCode>('POST', '/api/admin/invites', options),
  revokeAdminInvite: (code: string) => request<void>('DELETE', `/api/admin/invites/${seg(code)}`),

  createSpace: (form: { handle: string; display_name: string; description?: string }) =>
    request<Space>('POST', '/api/spaces', form),
  mySpaces: () => request<Space[]>('GET', '/api/spaces'),
  space: (handle: string) => request<Space>('GET', `/api/spaces/${seg(handle)}`),
  updateSpace: (handle: string, changes: { display_name?: string; description?: string }) =>
    request<Space>('PATCH', `/api/spaces/${seg(handle)}`, changes),
  deleteSpace: (handle: string) => request<void>('DELETE', `/api/spaces/${seg(handle)}`),
  members: (handle: string) => request<Member[]>('GET', `/api/spaces/${seg(handle)}/members`),
  changeMemberRole: (handle: string, username: string, role: SpaceRole) =>
    request<Member>('PATCH', `/api/spaces/${seg(handle)}/members/${seg(username)}`, { role }),
  removeMember: (handle: string, username: string) =>
    request<void>('DELETE', `/api/spaces/${seg(handle)}/members/${seg(username)}`),
  leaveSpace: (handle: string) => request<void>('POST', `/api/spaces/${seg(handle)}/leave`),
  invitations: (handle: string) => request<Invitation[]>('GET', `/api/spaces/${seg(handle)}/invitations`),
  createInvitation: (handle: string, form: { email?: string; role?: SpaceRole }) =>
    request<Invitation>('POST', `/api/spaces/${seg(handle)}/invitations`, form),
  revokeInvitation: (handle: string, id: string) =>
    request<void>('DELETE', `/api/spaces/${seg(handle)}/invitations/${seg(id)}`),
  invitation: (token: string) => request<InvitationPreview>('GET', `/api/invitations/${seg(token)}`),
  acceptInvitation: (token: string) => request<Space>('POST', `/api/invitations/${seg(token)}/accept`),

  createPad: (form: NewPad = {}) => request<Pad>('POST', '/api/pads', form),
  myPads: (params: { space?: string; trash?: boolean } = {}) =>
    request<Pad[]>('GET', `/api/pads${query({ space: params.space, trash: params.trash ? 'true' : undefined })}`),
  pad: (id: string) => request<Pad>('GET', `/api/pads/${seg(id)}`),
  updatePad: (id: string, changes: PadChanges) => request<Pad>('PATCH', `/api/pads/${seg(id)}`, changes),
  deletePad: (id: string) => request<void>('DELETE', `/api/pads/${seg(id)}`),
  restorePad: (id: string) => request<Pad>('POST', `/api/pads/${seg(id)}/restore`),
  padVersions: (id: string) => request<PadVersion[]>('GET', `/api/pads/${seg(id)}/versions`),
  savePadVersion: (id: string, name: string) => request<PadVersion>('POST', `/api/pads/${seg(id)}/versions`, { name }),
  padVersion: (id: string, version: string) =>
    request<PadVersionContent>('GET', `/api/pads/${seg(id)}/versions/${seg(version)}`),
  restorePadVersion: (id: string, version: string) =>
    request<void>('POST', `/api/pads/${seg(id)}/versions/${seg(version)}/restore`),
  /** Replaces the pad's content on the server (the previous content becomes a version). */
  importPad: (id: string, format: 'text' | 'markdown' | 'html', content: string) =>
    request<void>('POST', `/api/pads/${seg(id)}/import`, { format, content }),
};
