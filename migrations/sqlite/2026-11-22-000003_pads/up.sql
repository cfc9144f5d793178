-- Pads: their rules (owner, visibility, expiry, trash), the durable log of their live
-- updates, the snapshot that log is compacted into, and their saved versions.

CREATE TABLE pads (
    id TEXT PRIMARY KEY NOT NULL,
    read_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    owner_space_id BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    visibility TEXT NOT NULL,
    history BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX pads_owner_user_id ON pads (owner_user_id);
CREATE INDEX pads_owner_space_id ON pads (owner_space_id);
CREATE INDEX pads_expires_at ON pads (expires_at);
CREATE INDEX pads_deleted_at ON pads (deleted_at);

-- The document as of update `last_seq`: log entries up to it are folded in.
CREATE TABLE pad_documents (
    pad_id TEXT PRIMARY KEY NOT NULL REFERENCES pads (id) ON DELETE CASCADE,
    state BLOB NOT NULL,
    last_seq BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE pad_updates (
    pad_id TEXT NOT NULL REFERENCES pads (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    data BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (pad_id, seq)
);

CREATE TABLE pad_versions (
    id BIGINT PRIMARY KEY NOT NULL,
    pad_id TEXT NOT NULL REFERENCES pads (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    automatic BOOLEAN NOT NULL,
    state BLOB NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX pad_versions_pad_id ON pad_versions (pad_id, created_at);
