-- Keygate's durable data: what the bbolt file's store buckets hold.

CREATE TABLE credentials (
    id                 bytea       PRIMARY KEY,
    user_name          text        NOT NULL,
    description        text        NOT NULL,
    -- description_key is the description case-folded by Keygate (not by the
    -- database's collation), so uniqueness matches the bbolt store exactly.
    description_key    text        NOT NULL,
    aaguid             bytea,
    attachment         text        NOT NULL DEFAULT '',
    transports         text[]      NOT NULL DEFAULT '{}',
    discoverable       boolean     NOT NULL,
    user_present       boolean     NOT NULL,
    user_verified      boolean     NOT NULL,
    backup_eligible    boolean     NOT NULL,
    backup_state       boolean     NOT NULL,
    sign_count         bigint      NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    clone_warning      boolean     NOT NULL,
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz,
    public_key         bytea       NOT NULL,
    attestation_type   text        NOT NULL DEFAULT '',
    attestation_format text        NOT NULL DEFAULT '',
    attestation_object bytea,
    client_data_json   bytea,
    appid              text        NOT NULL DEFAULT '',
    CONSTRAINT credentials_description_unique UNIQUE (user_name, description_key)
);

CREATE INDEX credentials_by_user ON credentials (user_name, created_at, id);

CREATE TABLE user_handles (
    user_name text  PRIMARY KEY,
    handle    bytea NOT NULL CONSTRAINT user_handles_handle_unique UNIQUE
);

-- An invite is kept as the SHA-256 of its token, never the token.
CREATE TABLE invites (
    token_hash bytea       PRIMARY KEY,
    user_name  text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX invites_by_expiry ON invites (expires_at);

CREATE TABLE audit_events (
    seq           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time          timestamptz NOT NULL,
    user_name     text        NOT NULL,
    action        text        NOT NULL,
    credential_id bytea,
    ip            text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_by_user ON audit_events (user_name, seq);
