-- Rooms: video calls. A room belongs to a user, a space, or nobody (created anonymously,
-- moderated by whoever holds its moderator key). What happens in a meeting (who is there,
-- chat) lives in memory only.

CREATE TABLE rooms (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    owner_space_id BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    password_hash TEXT,
    moderator_key_hash TEXT,
    lobby BOOLEAN NOT NULL,
    max_participants BIGINT NOT NULL,
    locked BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rooms_owner_user_id ON rooms (owner_user_id);
CREATE INDEX rooms_owner_space_id ON rooms (owner_space_id);

-- Whom the owner named moderator of a room.
CREATE TABLE room_moderators (
    room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_moderators_user_id ON room_moderators (user_id);
