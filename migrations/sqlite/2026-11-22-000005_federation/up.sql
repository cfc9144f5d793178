-- Federation over ActivityPub: the key pairs and choices of local actors, the remote actors
-- known, follows in both directions, the outgoing delivery queue, the activities received,
-- the state of each remote instance and the admin's domain policies.

-- A local actor (a user, a space, or the instance itself with local_id 0): its RSA key pair
-- for HTTP signatures and whether it approves its followers by hand.
CREATE TABLE federation_local_actors (
    kind TEXT NOT NULL,
    local_id BIGINT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    manual_approval BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, local_id)
);

-- An actor of another instance, as last fetched.
CREATE TABLE federation_remote_actors (
    id BIGINT PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT NOT NULL,
    summary TEXT NOT NULL,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    url TEXT,
    icon TEXT,
    public_key_pem TEXT NOT NULL,
    fetched_at BIGINT NOT NULL
);
CREATE INDEX federation_remote_actors_domain ON federation_remote_actors (domain, username);

-- A follow between a local actor and a remote one. direction `in`: the remote actor follows
-- the local one; `out`: the local actor follows the remote one. state: pending or accepted.
CREATE TABLE federation_follows (
    id BIGINT PRIMARY KEY NOT NULL,
    direction TEXT NOT NULL,
    local_kind TEXT NOT NULL,
    local_id BIGINT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES federation_remote_actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    follow_activity_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (direction, local_kind, local_id, remote_actor_id)
);
CREATE INDEX federation_follows_remote ON federation_follows (remote_actor_id);

-- Outgoing activities waiting to reach an inbox, in order (seq) per destination instance.
CREATE TABLE federation_deliveries (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    inbox TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_local_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX federation_deliveries_domain_seq ON federation_deliveries (domain, seq);

-- Ids of activities received, so that a repeat is ignored.
CREATE TABLE federation_received (
    activity_id TEXT PRIMARY KEY NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX federation_received_at ON federation_received (received_at);

-- How deliveries to each remote instance are going. state: ok, backoff or dead.
CREATE TABLE federation_instances (
    domain TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_failure_at BIGINT,
    next_attempt_at BIGINT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The admin's choices about other instances. policy: block or allow.
CREATE TABLE federation_domain_policies (
    domain TEXT PRIMARY KEY NOT NULL,
    policy TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
