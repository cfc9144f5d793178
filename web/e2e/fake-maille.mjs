#!/usr/bin/env node
/**
 * A stand-in for the `maille` binary, for front-end work while the Rust back end is not built:
 * it follows docs/api.md for accounts and spaces, keeps its state in a JSON file in
 * MAILLE_DATA_DIR, writes emails as quoted-printable .eml files into `outbox/`, and serves
 * web/dist with the production Content-Security-Policy.
 *
 *   MAILLE_BIN=e2e/fake-maille.mjs npm run e2e     run the browser tests against it
 *   node e2e/fake-maille.mjs serve                  with MAILLE_DATA_DIR and MAILLE_LISTEN set
 *
 * It is not the product: the browser tests run against the real binary by default.
 */
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const dataDir = process.env.MAILLE_DATA_DIR ?? join(process.cwd(), 'fake-data');
const listen = process.env.MAILLE_LISTEN ?? '127.0.0.1:8080';
const publicUrl = (process.env.MAILLE_PUBLIC_URL ?? `http://${listen}`).replace(/\/$/, '');
const distDir = process.env.MAILLE_WEB_DIST ?? fileURLToPath(new URL('../dist/', import.meta.url));
const stateFile = join(dataDir, 'fake-state.json');

/** Users and spaces share one namespace of handles. */
const HANDLE = /^[a-z0-9][a-z0-9_]{1,29}$/;
const now = () => Math.floor(Date.now() / 1000);
const token = () => randomBytes(24).toString('base64url');
const hash = (password) => createHash('sha256').update(password).digest('hex');

function load() {
  if (!existsSync(stateFile)) {
    return { users: [], sessions: [], tokens: [], spaces: [], members: [], invitations: [], invites: [], mode: 'open', nextId: 1 };
  }
  return JSON.parse(readFileSync(stateFile, 'utf8'));
}
function save(state) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state));
}

function encodeQuotedPrintable(text) {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\n'), 'utf8');
  let out = '';
  let line = '';
  for (const byte of bytes) {
    if (byte === 0x0a) {
      out += `${line}\r\n`;
      line = '';
      continue;
    }
    const piece = byte === 0x3d || byte > 0x7e || (byte < 0x20 && byte !== 0x09) ? `=${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
    if (line.length + piece.length > 75) {
      out += `${line}=\r\n`;
      line = '';
    }
    line += piece;
  }
  return out + line;
}

function sendMail(to, subject, text) {
  const outbox = join(dataDir, 'outbox');
  mkdirSync(outbox, { recursive: true });
  const boundary = `b_${randomBytes(6).toString('hex')}`;
  const html = `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '<br>')}</p>`;
  const message = [
    'From: Maille <noreply@localhost>',
    `To: ${to}`,
    `Subject: =?utf-8?b?${Buffer.from(subject).toString('base64')}?=`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    encodeQuotedPrintable(text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(html).toString('base64').replace(/(.{76})/g, '$1\r\n'),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  writeFileSync(join(outbox, `${Date.now()}-${randomBytes(4).toString('hex')}.eml`), message);
}

class HttpError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    Object.assign(this, { status, code, extra });
  }
}
const fail = (status, code, message = code, extra) => {
  throw new HttpError(status, code, message, extra);
};

const me = (u) => ({ id: String(u.id), username: u.username, email: u.email, display_name: u.display_name, language: u.language, role: u.role, created_at: u.created_at });
const adminUser = (u) => ({ ...me(u), email_verified: u.email_verified, approved: u.approved, disabled: u.disabled, last_login_at: u.last_login_at, reason: u.reason });

function createUser(state, { username, email, password, display_name, language, role = 'user', verified = false, approved = true, reason = null }) {
  const user = {
    id: state.nextId++,
    username,
    email,
    password: hash(password),
    display_name: display_name || username,
    language: language === 'fr' || language === 'en' ? language : 'fr',
    role,
    created_at: now(),
    email_verified: verified,
    approved,
    disabled: false,
    last_login_at: null,
    reason,
  };
  state.users.push(user);
  return user;
}

function cookies(req) {
  return Object.fromEntries((req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).filter((p) => p.length === 2));
}

function spaceView(state, space, user) {
  const membership = state.members.find((m) => m.space === space.handle && m.user === user.id);
  return {
    handle: space.handle,
    display_name: space.display_name,
    description: space.description,
    created_at: space.created_at,
    my_role: membership?.role,
    member_count: state.members.filter((m) => m.space === space.handle).length,
  };
}

function memberView(state, m) {
  const u = state.users.find((x) => x.id === m.user);
  return { username: u.username, display_name: u.display_name, role: m.role, joined_at: m.joined_at };
}

async function handleApi(req, url, body, res) {
  const state = load();
  const method = req.method;
  const path = url.pathname;
  const sessionToken = cookies(req).maille_session;
  const session = state.sessions.find((s) => s.token === sessionToken);
  const user = session ? state.users.find((u) => u.id === session.user && !u.disabled) : undefined;
  const answer = (status, value, headers = {}) => ({ status, value, headers, state });

  if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    const origin = req.headers.origin;
    if (origin && origin !== publicUrl) fail(403, 'csrf_failed');
    if (session && req.headers['x-csrf-token'] !== session.csrf) fail(403, 'csrf_failed');
  }
  const needUser = () => user ?? fail(401, 'not_authenticated');
  const needAdmin = () => (needUser().role === 'admin' ? user : fail(403, 'forbidden'));
  const newSession = (u) => {
    const s = { id: String(state.nextId++), token: token(), csrf: token(), user: u.id, created_at: now(), last_seen_at: now(), user_agent: req.headers['user-agent'] ?? null, ip: '127.0.0.1' };
    state.sessions.push(s);
    u.last_login_at = now();
    return s;
  };
  const sessionCookie = (s) => ({ 'Set-Cookie': `maille_session=${s ? s.token : ''}; Path=/; HttpOnly; SameSite=Lax${s ? '' : '; Max-Age=0'}` });
  const required = (field) => (typeof body[field] === 'string' && body[field].trim() ? body[field].trim() : fail(422, 'validation_failed', `${field} is required`, { field }));

  let m;
  if (path === '/api/instance' && method === 'GET') return answer(200, { name: 'Maille (fake)', version: '0.0.0-fake', registration_mode: state.mode, default_language: 'fr' });

  if (path === '/api/accounts' && method === 'POST') {
    if (state.mode === 'closed' && !body.invite_code) fail(403, 'registration_closed');
    if (state.mode === 'invite' && !body.invite_code) fail(403, 'invite_required');
    let invite;
    if (body.invite_code) {
      invite = state.invites.find((i) => i.code === body.invite_code && (i.max_uses === null || i.uses < i.max_uses));
      if (!invite && state.mode !== 'open') fail(403, 'invite_invalid');
    }
    const username = required('username');
    if (!HANDLE.test(username)) fail(422, 'validation_failed', 'bad username', { field: 'username' });
    const email = required('email').toLowerCase();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) fail(422, 'validation_failed', 'bad email', { field: 'email' });
    if ((body.password ?? '').length < 12) fail(422, 'validation_failed', 'password too short', { field: 'password' });
    if (state.users.some((u) => u.username === username) || state.spaces.some((s) => s.handle === username)) fail(409, 'username_taken');
    if (state.users.some((u) => u.email === email)) {
      sendMail(email, 'Maille account', `Someone tried to sign up with this address, which already has an account.\n`);
      return answer(201, { status: 'verification_sent' });
    }
    if (invite) invite.uses += 1;
    const u = createUser(state, { ...body, username, email, approved: state.mode !== 'approval' || Boolean(invite), reason: body.reason ?? null });
    const t = token();
    state.tokens.push({ token: t, kind: 'verify', user: u.id });
    sendMail(email, 'Confirmez votre adresse — Confirm your address', `Bonjour ${u.display_name},\n\nConfirmez votre adresse en ouvrant ce lien : ${publicUrl}/verify-email?token=${t}\n\nConfirm your address: ${publicUrl}/verify-email?token=${t}\n`);
    return answer(201, { status: 'verification_sent' });
  }
  if (path === '/api/accounts/verify-email' && method === 'POST') {
    const t = state.tokens.find((x) => x.token === body.token && x.kind === 'verify');
    if (!t) fail(400, 'invalid_token');
    state.tokens = state.tokens.filter((x) => x !== t);
    const u = state.users.find((x) => x.id === t.user);
    u.email_verified = true;
    return answer(200, { status: u.approved ? 'verified' : 'pending_approval' });
  }
  if (path === '/api/session') {
    if (method === 'GET') {
      needUser();
      return answer(200, { user: me(user), csrf_token: session.csrf });
    }
    if (method === 'POST') {
      const login = String(body.login ?? '').toLowerCase();
      const u = state.users.find((x) => x.username === login || x.email === login);
      if (!u || u.password !== hash(String(body.password ?? ''))) fail(401, 'invalid_credentials', 'bad credentials');
      if (!u.email_verified) fail(403, 'email_not_verified');
      if (!u.approved) fail(403, 'pending_approval');
      if (u.disabled) fail(403, 'account_disabled');
      const s = newSession(u);
      return answer(200, { user: me(u), csrf_token: s.csrf }, sessionCookie(s));
    }
    if (method === 'DELETE') {
      state.sessions = state.sessions.filter((s) => s !== session);
      return answer(204, undefined, sessionCookie(null));
    }
  }
  if (path === '/api/accounts/password-reset' && method === 'POST') {
    const u = state.users.find((x) => x.email === String(body.email ?? '').toLowerCase());
    if (u) {
      const t = token();
      state.tokens.push({ token: t, kind: 'reset', user: u.id });
      sendMail(u.email, 'Reset your password', `Choose a new password: ${publicUrl}/reset-password?token=${t}\n`);
    }
    return answer(202, undefined);
  }
  if (path === '/api/accounts/password-reset/confirm' && method === 'POST') {
    const t = state.tokens.find((x) => x.token === body.token && x.kind === 'reset');
    if (!t) fail(400, 'invalid_token');
    if ((body.password ?? '').length < 12) fail(422, 'validation_failed', 'too short', { field: 'password' });
    state.tokens = state.tokens.filter((x) => x !== t);
    state.users.find((x) => x.id === t.user).password = hash(body.password);
    state.sessions = state.sessions.filter((s) => s.user !== t.user);
    return answer(200, {});
  }
  if (path === '/api/accounts/confirm-email' && method === 'POST') {
    const t = state.tokens.find((x) => x.token === body.token && x.kind === 'email');
    if (!t) fail(400, 'invalid_token');
    state.tokens = state.tokens.filter((x) => x !== t);
    const u = state.users.find((x) => x.id === t.user);
    u.email = t.email;
    return answer(200, me(u));
  }
  if (path === '/api/accounts/me') {
    needUser();
    if (method === 'GET') return answer(200, me(user));
    if (method === 'PATCH') {
      if (typeof body.display_name === 'string') user.display_name = body.display_name || user.username;
      if (body.language === 'fr' || body.language === 'en') user.language = body.language;
      return answer(200, me(user));
    }
    if (method === 'DELETE') {
      if (user.password !== hash(String(body.password ?? ''))) fail(401, 'invalid_credentials');
      const owned = state.members.filter((x) => x.user === user.id && x.role === 'owner');
      const sole = owned.filter((o) => !state.members.some((x) => x.space === o.space && x.role === 'owner' && x.user !== user.id));
      if (sole.length) fail(409, 'sole_owner', 'hand over first', { spaces: sole.map((o) => o.space) });
      state.users = state.users.filter((x) => x !== user);
      state.sessions = state.sessions.filter((s) => s.user !== user.id);
      state.members = state.members.filter((x) => x.user !== user.id);
      return answer(204, undefined, sessionCookie(null));
    }
  }
  if (path === '/api/accounts/me/password' && method === 'POST') {
    needUser();
    if (user.password !== hash(String(body.current_password ?? ''))) fail(401, 'invalid_credentials');
    if ((body.new_password ?? '').length < 12) fail(422, 'validation_failed', 'too short', { field: 'new_password' });
    user.password = hash(body.new_password);
    state.sessions = state.sessions.filter((s) => s.user !== user.id);
    const s = newSession(user);
    return answer(200, { user: me(user), csrf_token: s.csrf }, sessionCookie(s));
  }
  if (path === '/api/accounts/me/email' && method === 'POST') {
    needUser();
    if (user.password !== hash(String(body.current_password ?? ''))) fail(401, 'invalid_credentials');
    const t = token();
    state.tokens.push({ token: t, kind: 'email', user: user.id, email: String(body.new_email).toLowerCase() });
    sendMail(body.new_email, 'Confirm your new address', `Confirm: ${publicUrl}/confirm-email?token=${t}\n`);
    return answer(202, undefined);
  }
  if (path === '/api/accounts/me/sessions' && method === 'GET') {
    needUser();
    return answer(200, state.sessions.filter((s) => s.user === user.id).map((s) => ({ id: s.id, created_at: s.created_at, last_seen_at: s.last_seen_at, user_agent: s.user_agent, ip: s.ip, current: s === session })));
  }
  if ((m = /^\/api\/accounts\/me\/sessions\/([^/]+)$/.exec(path)) && method === 'DELETE') {
    needUser();
    state.sessions = state.sessions.filter((s) => !(s.user === user.id && s.id === decodeURIComponent(m[1])));
    return answer(204, undefined);
  }
  if (path === '/api/accounts/me/export' && method === 'GET') {
    needUser();
    return answer(200, { user: me(user), spaces: state.members.filter((x) => x.user === user.id) }, { 'Content-Disposition': 'attachment; filename="maille-export.json"' });
  }

  if (path === '/api/admin/users' && method === 'GET') {
    needAdmin();
    const q = (url.searchParams.get('q') ?? '').toLowerCase();
    const status = url.searchParams.get('status') ?? 'all';
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const list = state.users
      .filter((u) => !q || u.username.includes(q) || u.email.includes(q) || u.display_name.toLowerCase().includes(q))
      .filter((u) => status === 'all' || (status === 'pending' && !u.approved) || (status === 'disabled' && u.disabled) || (status === 'admins' && u.role === 'admin'));
    return answer(200, { users: list.slice((page - 1) * 50, page * 50).map(adminUser), total: list.length, page, per_page: 50 });
  }
  if ((m = /^\/api\/admin\/users\/([^/]+)\/(approve|disable|enable|promote|demote)$/.exec(path)) && method === 'POST') {
    needAdmin();
    const u = state.users.find((x) => String(x.id) === m[1]) ?? fail(404, 'not_found');
    ({ approve: () => (u.approved = true), disable: () => (u.disabled = true), enable: () => (u.disabled = false), promote: () => (u.role = 'admin'), demote: () => (u.role = 'user') })[m[2]]();
    return answer(200, adminUser(u));
  }
  if (path === '/api/admin/settings') {
    needAdmin();
    if (method === 'PATCH') {
      if (!['open', 'approval', 'invite', 'closed'].includes(body.registration_mode)) fail(422, 'validation_failed', 'bad mode', { field: 'registration_mode' });
      state.mode = body.registration_mode;
    }
    return answer(200, { registration_mode: state.mode });
  }
  if (path === '/api/admin/invites') {
    needAdmin();
    if (method === 'GET') return answer(200, state.invites);
    const code = randomBytes(6).toString('hex');
    const invite = { code, link: `${publicUrl}/signup?invite=${code}`, uses: 0, max_uses: body.max_uses ?? null, expires_at: body.expires_in_days ? now() + body.expires_in_days * 86400 : null, created_at: now() };
    state.invites.unshift(invite);
    return answer(201, invite);
  }
  if ((m = /^\/api\/admin\/invites\/([^/]+)$/.exec(path)) && method === 'DELETE') {
    needAdmin();
    state.invites = state.invites.filter((i) => i.code !== decodeURIComponent(m[1]));
    return answer(204, undefined);
  }

  if (path === '/api/spaces') {
    needUser();
    if (method === 'GET') return answer(200, state.members.filter((x) => x.user === user.id).map((x) => spaceView(state, state.spaces.find((s) => s.handle === x.space), user)));
    const handle = required('handle');
    if (!HANDLE.test(handle)) fail(422, 'validation_failed', 'bad handle', { field: 'handle' });
    const display_name = required('display_name');
    if (state.spaces.some((s) => s.handle === handle) || state.users.some((u) => u.username === handle)) fail(409, 'handle_taken');
    const space = { handle, display_name, description: body.description ?? '', created_at: now() };
    state.spaces.push(space);
    state.members.push({ space: handle, user: user.id, role: 'owner', joined_at: now() });
    return answer(201, spaceView(state, space, user));
  }
  if ((m = /^\/api\/spaces\/([^/]+)(\/.*)?$/.exec(path))) {
    needUser();
    const handle = decodeURIComponent(m[1]);
    const rest = m[2] ?? '';
    const space = state.spaces.find((s) => s.handle === handle);
    const mine = space && state.members.find((x) => x.space === handle && x.user === user.id);
    if (!space || !mine) fail(404, 'not_found');
    const manager = mine.role === 'owner' || mine.role === 'moderator';
    if (rest === '' && method === 'GET') return answer(200, spaceView(state, space, user));
    if (rest === '' && method === 'PATCH') {
      if (!manager) fail(403, 'forbidden');
      if (typeof body.display_name === 'string' && body.display_name.trim()) space.display_name = body.display_name.trim();
      if (typeof body.description === 'string') space.description = body.description;
      return answer(200, spaceView(state, space, user));
    }
    if (rest === '' && method === 'DELETE') {
      if (mine.role !== 'owner') fail(403, 'forbidden');
      state.spaces = state.spaces.filter((s) => s !== space);
      state.members = state.members.filter((x) => x.space !== handle);
      return answer(204, undefined);
    }
    if (rest === '/members' && method === 'GET') return answer(200, state.members.filter((x) => x.space === handle).map((x) => memberView(state, x)));
    let mm;
    if ((mm = /^\/members\/([^/]+)$/.exec(rest))) {
      const target = state.users.find((u) => u.username === decodeURIComponent(mm[1]));
      const membership = target && state.members.find((x) => x.space === handle && x.user === target.id);
      if (!membership) fail(404, 'not_found');
      if (method === 'PATCH') {
        if (mine.role !== 'owner') fail(403, 'forbidden');
        membership.role = body.role;
        return answer(200, memberView(state, membership));
      }
      if (method === 'DELETE') {
        if (!(mine.role === 'owner' || (mine.role === 'moderator' && membership.role === 'member'))) fail(403, 'forbidden');
        state.members = state.members.filter((x) => x !== membership);
        return answer(204, undefined);
      }
    }
    if (rest === '/leave' && method === 'POST') {
      if (mine.role === 'owner' && !state.members.some((x) => x.space === handle && x.role === 'owner' && x !== mine)) fail(409, 'sole_owner', 'sole owner', { spaces: [handle] });
      state.members = state.members.filter((x) => x !== mine);
      return answer(204, undefined);
    }
    if (rest === '/invitations') {
      if (!manager) fail(403, 'forbidden');
      if (method === 'GET') return answer(200, state.invitations.filter((i) => i.space === handle).map(({ token: _t, space: _s, link: _l, ...i }) => i));
      const t = token();
      const invitation = { id: String(state.nextId++), email: body.email ?? null, role: body.role ?? 'member', created_at: now(), expires_at: now() + 7 * 86400, token: t, space: handle, inviter: user.id };
      state.invitations.push(invitation);
      const link = `${publicUrl}/join/${t}`;
      if (body.email) sendMail(body.email, `Invitation: ${space.display_name}`, `${user.display_name} invites you to ${space.display_name}: ${link}\n`);
      const { token: _t, space: _s, inviter: _i, ...view } = invitation;
      return answer(201, { ...view, link });
    }
    if ((mm = /^\/invitations\/([^/]+)$/.exec(rest)) && method === 'DELETE') {
      if (!manager) fail(403, 'forbidden');
      state.invitations = state.invitations.filter((i) => !(i.space === handle && i.id === decodeURIComponent(mm[1])));
      return answer(204, undefined);
    }
  }
  if ((m = /^\/api\/invitations\/([^/]+)(\/accept)?$/.exec(path))) {
    const invitation = state.invitations.find((i) => i.token === decodeURIComponent(m[1])) ?? fail(404, 'invalid_token');
    const space = state.spaces.find((s) => s.handle === invitation.space) ?? fail(404, 'invalid_token');
    if (!m[2] && method === 'GET') {
      const inviter = state.users.find((u) => u.id === invitation.inviter);
      return answer(200, { space: { handle: space.handle, display_name: space.display_name, description: space.description }, inviter: inviter?.display_name ?? '', role: invitation.role });
    }
    if (m[2] && method === 'POST') {
      needUser();
      if (!state.members.some((x) => x.space === space.handle && x.user === user.id)) {
        state.members.push({ space: space.handle, user: user.id, role: invitation.role, joined_at: now() });
      }
      state.invitations = state.invitations.filter((i) => i !== invitation);
      return answer(200, spaceView(state, space, user));
    }
  }
  fail(404, 'not_found');
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' };

function serveStatic(url, res) {
  const relative = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  let file = join(distDir, relative);
  if (!file.startsWith(distDir) || !existsSync(file) || relative === '/' || !extname(file)) file = join(distDir, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end('web/dist is missing: run npm run build');
    return;
  }
  res.writeHead(200, {
    'Content-Type': types[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  res.end(readFileSync(file));
}

function serve() {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, publicUrl);
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: '0.0.0-fake', database: 'ok', services: { accounts: 'ok', spaces: 'ok' } }));
        return;
      }
      if (!url.pathname.startsWith('/api/')) {
        serveStatic(url, res);
        return;
      }
      try {
        let body = {};
        if (chunks.length) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            fail(400, 'bad_request', 'malformed JSON');
          }
        }
        const { status, value, headers, state } = await handleApi(req, url, body, res);
        save(state);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      } catch (error) {
        if (!(error instanceof HttpError)) console.error(error);
        const status = error instanceof HttpError ? error.status : 500;
        const payload = error instanceof HttpError ? { code: error.code, message: error.message, ...error.extra } : { code: 'internal_error', message: 'internal error' };
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
      }
    });
  });
  server.listen(port, host, () => console.log(`fake maille listening on ${publicUrl}`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function flag(name) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

const command = process.argv.slice(2).filter((a) => !a.startsWith('--')).slice(0, 3).join(' ');
if (command === 'serve') {
  serve();
} else if (command.startsWith('admin user create')) {
  const state = load();
  createUser(state, { username: flag('username'), email: flag('email'), password: flag('password'), role: process.argv.includes('--admin') ? 'admin' : 'user', verified: true });
  save(state);
  console.log(`created ${flag('username')}`);
} else {
  console.error('usage: fake-maille.mjs serve | admin user create --username U --email E --password P [--admin]');
  process.exit(2);
}
