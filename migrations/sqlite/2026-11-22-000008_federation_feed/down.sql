ALTER TABLE rooms DROP COLUMN public;
DROP TABLE federation_feed;
DROP TABLE outbox_events;
