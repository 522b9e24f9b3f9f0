-- Public tracing requests (intake). Written by intake nodes, which hold only the office's
-- public key: the request is a sealed box (sealed_request) the office alone can open, the
-- tracing code exists only as a keyed Argon2id lookup hash, and the key that encrypts the
-- office's replies is stored sealed to the office (sealed_reply_key). status is `new`
-- (never opened), `opened` (read by the office) or `kept` (taken into work: never expires).
CREATE TABLE intake_requests (
    id               TEXT PRIMARY KEY,
    code_lookup      BYTEA NOT NULL UNIQUE,
    sealed_request   BYTEA NOT NULL,
    sealed_reply_key BYTEA NOT NULL,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_activity    BIGINT NOT NULL
);
CREATE INDEX intake_requests_activity ON intake_requests (last_activity);

-- Messages of a request's thread. direction `office`: encrypted under the reply key (a field
-- envelope the seeker opens with the key derived from the code); direction `seeker`: a
-- sealed box to the office's public key.
CREATE TABLE intake_messages (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES intake_requests (id) ON DELETE CASCADE,
    direction  TEXT NOT NULL,
    body       BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX intake_messages_request ON intake_messages (request_id, created_at);
