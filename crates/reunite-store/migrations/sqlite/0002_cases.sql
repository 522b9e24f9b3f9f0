-- Cases: a mother's separation case. The whole record (names, dates, places, consent) is one
-- envelope sealed under the case's own data key and bound to (cases, record_enc, id). Only
-- what identifies nobody is in clear: the interchange id, the status, the assigned
-- caseworker's account id, version and times. change_seq orders changes across processes so
-- that each process's in-memory search index can catch up with the others.
CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL REFERENCES data_keys (id),
    record_enc  BLOB NOT NULL,
    status      TEXT NOT NULL,
    assigned_to TEXT REFERENCES users (id),
    version     INTEGER NOT NULL,
    change_seq  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX cases_assigned ON cases (assigned_to);
CREATE INDEX cases_change_seq ON cases (change_seq);

-- One row per version of a case: who made it and when (in clear: account ids and times are
-- not personal data of the mother), and, sealed under the case's data key, which fields
-- changed and the record as it was before.
CREATE TABLE case_versions (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    version    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    change_enc BLOB NOT NULL,
    PRIMARY KEY (case_id, version)
);
