-- DNA tests: one row per kinship test of a case (and of a match, when it verifies one; the
-- match registry comes later, so match_ref is free text for now). Everything that says who
-- was tested, by which lab, and what their profiles are is sealed under the test's own data
-- key and bound to (dna_tests, column, id): details_enc holds lab, kit, sample dates, custody
-- notes, the tested persons' role labels and the chosen hypothesis; profiles_enc holds the
-- lab's profile file in canonical form once it is imported. Only the non-identifying
-- workflow status, version and times are in clear.
CREATE TABLE dna_tests (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    match_ref    TEXT,
    key_id       TEXT NOT NULL REFERENCES data_keys (id),
    details_enc  BYTEA NOT NULL,
    profiles_enc BYTEA,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX dna_tests_case ON dna_tests (case_id);
