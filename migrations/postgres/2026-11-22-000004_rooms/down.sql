DROP TABLE room_moderators;
DROP TABLE rooms;
