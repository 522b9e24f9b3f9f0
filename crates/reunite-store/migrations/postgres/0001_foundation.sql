-- Foundation: wrapped data keys, staff accounts, sessions, the audit chain, settings.
-- Booleans are 0/1 integers on both backends (the Any driver maps no SQLite BOOLEAN).
-- Every identifying value is an envelope (BYTEA) sealed by reunite-crypto; columns ending in
-- _index are keyed blind indexes (HMAC), never the value.
CREATE TABLE data_keys (
    id            TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL,
    master_key_id TEXT NOT NULL,
    wrapped       BYTEA NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX data_keys_master ON data_keys (master_key_id);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    key_id               TEXT NOT NULL REFERENCES data_keys (id),
    username_index       BYTEA NOT NULL UNIQUE,
    username_enc         BYTEA NOT NULL,
    role                 TEXT NOT NULL,
    password_phc         TEXT NOT NULL,
    totp_enc             BYTEA,
    totp_pending_enc     BYTEA,
    totp_last_step       BIGINT NOT NULL DEFAULT 0,
    must_change_password BIGINT NOT NULL,
    lang                 TEXT NOT NULL,
    disabled             BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    stage      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    reauth_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    seq       BIGINT PRIMARY KEY,
    event_id  TEXT NOT NULL UNIQUE,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
