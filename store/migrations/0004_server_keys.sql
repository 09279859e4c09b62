-- The server's secret keys by name (such as the key that signs device
-- cookies), shared by every replica on this database.

CREATE TABLE server_keys (
    name text  PRIMARY KEY,
    key  bytea NOT NULL
);
