DROP TABLE instance_settings;
DROP TABLE invites;
DROP TABLE account_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE handles;
