DROP TABLE federation_sign_in_requests;
DROP INDEX users_remote_actor_id;
ALTER TABLE users DROP COLUMN remote_actor_id;
