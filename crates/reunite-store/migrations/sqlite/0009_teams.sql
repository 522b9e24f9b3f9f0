-- Issue 16: least privilege per case. A case belongs to its assigned caseworker and to a
-- team; a caseworker reads the cases assigned to her and those of her teams. Team names
-- and memberships describe the office, not the mothers: they are in clear.
CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE team_members (
    team_id    TEXT NOT NULL REFERENCES teams (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    supervisor INTEGER NOT NULL DEFAULT 0,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
ALTER TABLE cases ADD COLUMN team_id TEXT REFERENCES teams (id);
CREATE INDEX cases_team ON cases (team_id);
-- Standing duties beyond one's own cases: 'travel' (every trip and alert), 'intake'
-- (every tracing request).
CREATE TABLE staff_duties (
    user_id    TEXT NOT NULL REFERENCES users (id),
    duty       TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, duty)
);
-- A staff member opened a case that is not hers ("break-glass"): for how long, and why
-- (the reason sealed under the case's data key, bound to this row). Shown to the case's
-- team; also in the audit chain.
CREATE TABLE break_glass (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    case_id    TEXT NOT NULL REFERENCES cases (id),
    key_id     TEXT NOT NULL REFERENCES data_keys (id),
    reason_enc BLOB NOT NULL,
    at         INTEGER NOT NULL,
    until_at   INTEGER NOT NULL
);
CREATE INDEX break_glass_case ON break_glass (case_id, until_at);
CREATE INDEX break_glass_user ON break_glass (user_id, until_at);
