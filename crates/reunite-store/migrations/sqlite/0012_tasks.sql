-- Issue 17: follow-ups and tasks of a case. What is to be done is sealed under the case's
-- data key, bound to (tasks, what_enc, id). When it is due (UTC millis; all_day when only
-- a day was given, overdue_at the instant it becomes overdue), who it is assigned to, who
-- did it and when (0 and '' for "not yet"), and what it came from (a match, request, DNA
-- test or trip id with its kind; '' for nothing) are in clear so the dashboard can count
-- without opening anything.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    key_id      TEXT NOT NULL REFERENCES data_keys (id),
    what_enc    BLOB NOT NULL,
    due_at      INTEGER NOT NULL,
    all_day     INTEGER NOT NULL,
    overdue_at  INTEGER NOT NULL,
    assigned_to TEXT NOT NULL REFERENCES users (id),
    link_kind   TEXT NOT NULL,
    link_id     TEXT NOT NULL,
    done_at     INTEGER NOT NULL,
    done_by     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX tasks_case ON tasks (case_id, done_at, overdue_at);
CREATE INDEX tasks_assignee ON tasks (assigned_to, done_at, overdue_at);
