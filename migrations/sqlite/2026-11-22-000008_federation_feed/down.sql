DROP TABLE federation_feed;
DROP TABLE outbox_events;
