-- Spaces: an association's or team's shared home, its members and its invitations.

CREATE TABLE spaces (
    id BIGINT PRIMARY KEY NOT NULL,
    handle TEXT NOT NULL UNIQUE REFERENCES handles (handle),
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE space_members (
    space_id BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (space_id, user_id)
);
CREATE INDEX space_members_user_id ON space_members (user_id);

CREATE TABLE space_invitations (
    id BIGINT PRIMARY KEY NOT NULL,
    space_id BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT,
    role TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    accepted_at BIGINT
);
CREATE INDEX space_invitations_space_id ON space_invitations (space_id);
