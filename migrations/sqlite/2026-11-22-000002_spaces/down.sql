DROP TABLE space_invitations;
DROP TABLE space_members;
DROP TABLE spaces;
