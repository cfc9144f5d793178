-- The outbox of events between services (written by pads and rooms in the transaction of
-- the change, taken by federation), and the feed of public work received from the actors
-- that local users follow.

CREATE TABLE outbox_events (
    id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_events_topic_seq ON outbox_events (topic, seq);

-- One row per object and followed actor it came through (its author's Create, or a
-- space's Announce): a user sees the rows of the actors they follow.
CREATE TABLE federation_feed (
    id BIGINT PRIMARY KEY NOT NULL,
    object_id TEXT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES federation_remote_actors (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    author_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    url TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (object_id, remote_actor_id)
);
CREATE INDEX federation_feed_actor_published ON federation_feed (remote_actor_id, published_at);
CREATE INDEX federation_feed_object ON federation_feed (object_id);

-- Rooms of a user or a space may be public: announced to the followers of their owner.
ALTER TABLE rooms ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
