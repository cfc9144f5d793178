-- Accounts: users, their handles, sessions, single-use tokens, invite codes, instance settings.
-- Types are chosen so that the SQLite and PostgreSQL schemas read back as the same diesel schema.

CREATE TABLE handles (
    handle TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE REFERENCES handles (handle),
    email TEXT NOT NULL UNIQUE,
    email_verified BOOLEAN NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL,
    role TEXT NOT NULL,
    approved BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL,
    registration_reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT
);

CREATE TABLE sessions (
    id BIGINT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_user_id ON account_tokens (user_id);

CREATE TABLE invites (
    code TEXT PRIMARY KEY NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    max_uses INTEGER,
    uses INTEGER NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
