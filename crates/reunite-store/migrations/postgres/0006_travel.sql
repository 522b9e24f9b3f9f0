-- Travel safety (issue 8). A trip of a case: what identifies her journey is sealed under
-- the trip's own data key and bound to (trips, column, id): plan_enc holds dates, purpose,
-- the reminder address and the contacts in South Korea; places_enc holds cities and places
-- to stay (deleted by the retention job after return). The check-in code is stored only as
-- a keyed hash (code_lookup), the PINs only as Argon2id PHC strings. The schedule (interval,
-- local window, IANA zone, grace) and the escalation state are in clear so the scheduler can
-- work without opening anything; 0 means "not yet" in every time column.
CREATE TABLE trips (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    key_id          TEXT NOT NULL REFERENCES data_keys (id),
    plan_enc        BYTEA NOT NULL,
    places_enc      BYTEA,
    code_lookup     BYTEA NOT NULL UNIQUE,
    pin_phc         TEXT NOT NULL,
    duress_phc      TEXT NOT NULL,
    schedule        TEXT NOT NULL,
    status          TEXT NOT NULL,
    briefing_lang   TEXT NOT NULL,
    briefing_hash   TEXT NOT NULL,
    briefed_at      BIGINT NOT NULL,
    activated_at    BIGINT NOT NULL,
    returned_at     BIGINT NOT NULL,
    purged_at       BIGINT NOT NULL,
    next_due_at     BIGINT NOT NULL,
    stage_sent      BIGINT NOT NULL,
    last_checkin_at BIGINT NOT NULL,
    wrong_pins      BIGINT NOT NULL,
    last_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX trips_case ON trips (case_id);
CREATE INDEX trips_due ON trips (status, next_due_at);
-- Check-ins: kind is ok, duress or back; the city she typed is sealed (city_enc, bound to
-- the check-in's id) and deleted with the trip's places.
CREATE TABLE trip_checkins (
    id       TEXT PRIMARY KEY,
    trip_id  TEXT NOT NULL REFERENCES trips (id),
    kind     TEXT NOT NULL,
    at       BIGINT NOT NULL,
    city_enc BYTEA
);
CREATE INDEX trip_checkins_trip ON trip_checkins (trip_id, at);
-- Alerts: one row per (trip, deadline, stage); the unique key makes scheduler runs
-- idempotent, so a restart or two processes never raise one twice. Acknowledgement notes
-- are sealed under the trip's key (bound to the alert's id).
CREATE TABLE trip_alerts (
    id           TEXT PRIMARY KEY,
    trip_id      TEXT NOT NULL REFERENCES trips (id),
    stage        BIGINT NOT NULL,
    deadline_at  BIGINT NOT NULL,
    raised_at    BIGINT NOT NULL,
    acked_at     BIGINT NOT NULL,
    acked_by     TEXT NOT NULL,
    ack_note_enc BYTEA,
    UNIQUE (trip_id, deadline_at, stage)
);
CREATE INDEX trip_alerts_trip ON trip_alerts (trip_id, raised_at);
-- Outgoing messages of an alert, one per target. No address and no text is stored here:
-- both are made when the message is sent, from the trip's sealed plan and the settings.
CREATE TABLE trip_outbox (
    id          TEXT PRIMARY KEY,
    alert_id    TEXT NOT NULL REFERENCES trip_alerts (id),
    target      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    next_try_at BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    attempts    BIGINT NOT NULL
);
CREATE INDEX trip_outbox_pending ON trip_outbox (sent_at, next_try_at);
