DROP TABLE federation_domain_policies;
DROP TABLE federation_instances;
DROP TABLE federation_received;
DROP TABLE federation_deliveries;
DROP TABLE federation_follows;
DROP TABLE federation_remote_actors;
DROP TABLE federation_local_actors;
