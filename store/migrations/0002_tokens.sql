-- API tokens: kept as the SHA-256 of their secret, never the secret.

CREATE TABLE api_tokens (
    id           text        PRIMARY KEY,
    user_name    text        NOT NULL,
    name         text        NOT NULL,
    hash         bytea       NOT NULL,
    hosts        text[]      NOT NULL,
    paths        text[]      NOT NULL DEFAULT '{}',
    methods      text[]      NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    last_used_ip text        NOT NULL DEFAULT ''
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_name, id);
