-- Issue 17: casework. Notes, services and referrals of a case. Kind, status, visibility,
-- dates, amounts and currency are in clear (statistics count them without decrypting);
-- every text is sealed under the case's data key (key_id = the case's), bound to its row.
CREATE TABLE case_notes (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    key_id     TEXT NOT NULL REFERENCES data_keys (id),
    kind       TEXT NOT NULL,
    visibility TEXT NOT NULL,
    author     TEXT NOT NULL REFERENCES users (id),
    noted_on   TEXT NOT NULL,
    text_enc   BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, noted_on);
CREATE TABLE case_services (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    key_id       TEXT NOT NULL REFERENCES data_keys (id),
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    provider_enc BLOB NOT NULL,
    start_on     TEXT NOT NULL,
    end_on       TEXT NOT NULL,
    amount_minor INTEGER,
    currency     TEXT,
    purpose_enc  BLOB,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX case_services_case ON case_services (case_id);
-- A referral of a service to a partner. `shared` lists the fields she agreed to share
-- (field names, comma-separated; no values); consent_at is when her consent was recorded
-- (a referral without it is refused). The partner, the contact and summary typed for the
-- partner, and the outcome's note are sealed.
CREATE TABLE referrals (
    id           TEXT PRIMARY KEY,
    service_id   TEXT NOT NULL REFERENCES case_services (id),
    case_id      TEXT NOT NULL REFERENCES cases (id),
    key_id       TEXT NOT NULL REFERENCES data_keys (id),
    partner_enc  BLOB NOT NULL,
    shared       TEXT NOT NULL,
    extra_enc    BLOB,
    consent_at   INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX referrals_service ON referrals (service_id);
CREATE INDEX referrals_case ON referrals (case_id);
