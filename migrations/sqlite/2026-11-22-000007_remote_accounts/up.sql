-- Accounts of people from other instances who signed in here with their home instance
-- (docs/federation.md, "Signing in with one's home instance"). Such an account is a normal
-- row of `users`, so that every permission check works for it, with the ActivityPub id of
-- the person's actor on their home instance; local accounts have none. Its username is
-- `name@domain`, it has no password and cannot log in by password.
ALTER TABLE users ADD COLUMN remote_actor_id TEXT;
CREATE UNIQUE INDEX users_remote_actor_id ON users (remote_actor_id);

-- Sign-ins with a home instance under way: the nonce sent to the home instance (hashed),
-- the browser that started it (hash of a cookie), the actor expected to sign and the page
-- to come back to. Single use: the row is deleted when the assertion comes back.
CREATE TABLE federation_sign_in_requests (
    nonce_hash TEXT PRIMARY KEY NOT NULL,
    browser_hash TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX federation_sign_in_requests_expires_at ON federation_sign_in_requests (expires_at);
