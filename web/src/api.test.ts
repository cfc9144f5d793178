import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, getCsrfToken, onSessionExpired, request, setCsrfToken } from './api';

type Call = { url: string; init: RequestInit };

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** Replaces fetch with a queue of canned answers and records every call. */
function mockFetch(...answers: Array<Response | Error>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const next = answers.shift();
      if (next === undefined) throw new Error(`unexpected fetch ${url}`);
      if (next instanceof Error) throw next;
      return next;
    }),
  );
  return calls;
}

function header(call: Call | undefined, name: string): string | undefined {
  return (call?.init.headers as Record<string, string> | undefined)?.[name];
}

const me = {
  id: '1',
  username: 'alice',
  email: 'alice@example.org',
  display_name: 'Alice',
  language: 'fr',
  role: 'user',
  created_at: 1700000000,
};

beforeEach(() => setCsrfToken(null));
afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('sends same-origin credentials and decodes JSON', async () => {
    const calls = mockFetch(
      jsonResponse(200, { name: 'Maille', version: '0.1.0', registration_mode: 'open', default_language: 'fr' }),
    );
    const instance = await api.instance();
    expect(instance.registration_mode).toBe('open');
    expect(calls[0]?.url).toBe('/api/instance');
    expect(calls[0]?.init.method).toBe('GET');
    expect(calls[0]?.init.credentials).toBe('same-origin');
    expect(header(calls[0], 'X-CSRF-Token')).toBeUndefined();
  });

  it('sends a JSON body with its content type', async () => {
    const calls = mockFetch(jsonResponse(201, { status: 'verification_sent' }));
    await api.signup({ username: 'alice', email: 'a@example.org', password: 'correct horse' });
    expect(calls[0]?.init.method).toBe('POST');
    expect(header(calls[0], 'Content-Type')).toBe('application/json');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      username: 'alice',
      email: 'a@example.org',
      password: 'correct horse',
    });
  });

  it('keeps the CSRF token from login and sends it on every state-changing method only', async () => {
    const calls = mockFetch(
      jsonResponse(200, { user: me, csrf_token: 'tok-1' }),
      jsonResponse(200, me),
      jsonResponse(200, me),
      jsonResponse(204, undefined),
      jsonResponse(201, { handle: 'x' }),
      jsonResponse(204, undefined),
    );
    await api.login('alice', 'pw');
    expect(getCsrfToken()).toBe('tok-1');
    await api.me();
    await api.updateMe({ display_name: 'A' });
    await api.revokeSession('s1');
    await api.createSpace({ handle: 'x', display_name: 'X' });
    await api.logout();
    expect(calls.map((c) => [c.init.method, header(c, 'X-CSRF-Token')])).toEqual([
      ['POST', undefined],
      ['GET', undefined],
      ['PATCH', 'tok-1'],
      ['DELETE', 'tok-1'],
      ['POST', 'tok-1'],
      ['DELETE', 'tok-1'],
    ]);
    expect(getCsrfToken()).toBeNull();
  });

  it('takes the token from GET /api/session', async () => {
    mockFetch(jsonResponse(200, { user: me, csrf_token: 'from-session' }));
    const session = await api.session();
    expect(session.user.username).toBe('alice');
    expect(getCsrfToken()).toBe('from-session');
  });

  it('turns an error body into a typed ApiError', async () => {
    mockFetch(jsonResponse(422, { code: 'validation_failed', message: 'bad email', field: 'email' }));
    const error = await api.signup({ username: 'a', email: 'nope', password: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation_failed', field: 'email', message: 'bad email' });
  });

  it('reads Retry-After on 429 and keeps extra error fields', async () => {
    mockFetch(
      jsonResponse(429, { code: 'too_many_requests', message: 'slow down' }, { 'Retry-After': '30' }),
      jsonResponse(409, { code: 'sole_owner', message: 'hand over', spaces: ['club'] }),
    );
    const limited = (await api.login('a', 'b').catch((e: unknown) => e)) as ApiError;
    expect(limited.code).toBe('too_many_requests');
    expect(limited.retryAfter).toBe(30);
    const owner = (await api.deleteMe({ password: 'pw' }).catch((e: unknown) => e)) as ApiError;
    expect(owner.code).toBe('sole_owner');
    expect(owner.body.spaces).toEqual(['club']);
  });

  it('reports a non-JSON error with a status-derived code', async () => {
    mockFetch(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const error = (await api.me().catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
  });

  it('reports a network failure as network_error', async () => {
    mockFetch(new TypeError('Failed to fetch'));
    const error = (await api.instance().catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
  });

  it('returns undefined for 204 and 202 without body', async () => {
    mockFetch(new Response(null, { status: 204 }), new Response(null, { status: 202 }));
    await expect(request('DELETE', '/api/session')).resolves.toBeUndefined();
    await expect(api.requestPasswordReset('a@example.org')).resolves.toBeUndefined();
  });

  it('refreshes a stale CSRF token once and retries', async () => {
    setCsrfToken('stale');
    const calls = mockFetch(
      jsonResponse(403, { code: 'csrf_failed', message: 'bad token' }),
      jsonResponse(200, { user: me, csrf_token: 'fresh' }),
      jsonResponse(200, me),
    );
    await api.updateMe({ language: 'en' });
    expect(calls.map((c) => `${c.init.method} ${c.url} ${header(c, 'X-CSRF-Token') ?? '-'}`)).toEqual([
      'PATCH /api/accounts/me stale',
      'GET /api/session -',
      'PATCH /api/accounts/me fresh',
    ]);
  });

  it('does not retry other 403 answers', async () => {
    setCsrfToken('tok');
    const calls = mockFetch(jsonResponse(403, { code: 'invite_required', message: 'need invite' }));
    const error = (await api.signup({ username: 'a', email: 'b', password: 'c' }).catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('invite_required');
    expect(calls).toHaveLength(1);
  });

  it('encodes path segments and query parameters', async () => {
    const calls = mockFetch(
      jsonResponse(200, { users: [], total: 0, page: 2, per_page: 50 }),
      jsonResponse(200, []),
      jsonResponse(200, { handle: 'a' }),
    );
    await api.adminUsers({ q: 'al ice', status: 'pending', page: 2 });
    await api.members('a/b');
    await api.acceptInvitation('t?k');
    expect(calls.map((c) => c.url)).toEqual([
      '/api/admin/users?q=al+ice&status=pending&page=2',
      '/api/spaces/a%2Fb/members',
      '/api/invitations/t%3Fk/accept',
    ]);
  });

  it('reports an ended session to the registered handler', async () => {
    const expired = vi.fn();
    onSessionExpired(expired);
    mockFetch(
      jsonResponse(401, { code: 'invalid_credentials', message: 'wrong password' }),
      jsonResponse(401, { code: 'not_authenticated', message: 'log in' }),
    );
    await api.changePassword('wrong', 'new password here').catch(() => undefined);
    expect(expired).not.toHaveBeenCalled();
    await api.sessions().catch(() => undefined);
    expect(expired).toHaveBeenCalledTimes(1);
    onSessionExpired(null);
  });

  it('downloads the export as a blob', async () => {
    mockFetch(new Response('{"user":{}}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    const blob = await api.exportMyData();
    expect(await blob.text()).toBe('{"user":{}}');
  });
});
