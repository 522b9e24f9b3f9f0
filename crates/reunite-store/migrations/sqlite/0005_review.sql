-- Match review, consent-gated disclosure, member accounts and the office–mother relay.
--
-- A candidate links a tracing request to a case. Ids, the state and the accounts that
-- verified and approved are in clear (they name no one); what the matcher found (probability,
-- weight, the field-by-field explanation), what the mother is shown and every note are
-- sealed under the case's data key, bound to their row.
CREATE TABLE match_candidates (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES intake_requests (id) ON DELETE CASCADE,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    key_id      TEXT NOT NULL REFERENCES data_keys (id),
    detail_enc  BLOB NOT NULL,
    excerpt_enc BLOB,
    state       TEXT NOT NULL,
    verified_by TEXT,
    approved_by TEXT,
    consent_by  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (request_id, case_id)
);
CREATE INDEX match_candidates_state ON match_candidates (state, updated_at);
CREATE INDEX match_candidates_case ON match_candidates (case_id);

-- Every transition: who (account id, or `system`), when, from and to, and a sealed note.
CREATE TABLE match_steps (
    candidate_id TEXT NOT NULL REFERENCES match_candidates (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    step         TEXT NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    note_enc     BLOB,
    PRIMARY KEY (candidate_id, seq)
);

-- When the office's matcher opened and matched a request (NULL: not yet).
ALTER TABLE intake_requests ADD COLUMN matched_at INTEGER;

-- A mother's member account belongs to exactly one case.
CREATE TABLE members (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    case_id TEXT NOT NULL UNIQUE REFERENCES cases (id)
);

-- Messages between the office and the mother, sealed under the case's data key.
-- direction `office` (written by a caseworker) or `member` (written by her).
CREATE TABLE member_messages (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    key_id     TEXT NOT NULL REFERENCES data_keys (id),
    direction  TEXT NOT NULL,
    body_enc   BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX member_messages_case ON member_messages (case_id, created_at);
