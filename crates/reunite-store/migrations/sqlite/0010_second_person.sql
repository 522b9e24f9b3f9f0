-- Issue 16, finding 4: a second person. Closing a duress or "many wrong PINs" alert, and
-- ending a trip that has an open office alert, take two different people. The first one's
-- step is recorded as a proposal and changes nothing else: the alert stays open
-- (acked_at = 0, so the board, the escalation and the wrong-PIN alerting go on exactly as
-- before) and the trip stays active. A second, different account confirms; only then is
-- the alert closed (acked_at, acked_by, ack_note_enc: the confirmer's) or the trip ended.
-- Numbered 0010 on purpose (0008 and 0009 are another change's); it depends on 0007 only.
--
-- trip_alerts.proposed_*: the first acknowledgement (when, by which account id; her note
-- sealed under the trip's key and bound to the alert's id, like ack_note_enc).
ALTER TABLE trip_alerts ADD COLUMN proposed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trip_alerts ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE trip_alerts ADD COLUMN proposal_note_enc BLOB;
-- trips.end_proposed_*: the first person's request to end the trip (when, by which account
-- id). trips.alert_seq counts the alerts raised for the trip: every insertion of an alert
-- adds one in its transaction and drops a waiting end proposal, so ending a trip is a
-- compare-and-set on alert_seq — an alert raised at the same moment (a duress check-in, a
-- missed deadline, wrong PINs) makes the end fail instead of being lost behind it.
ALTER TABLE trips ADD COLUMN end_proposed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trips ADD COLUMN end_proposed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE trips ADD COLUMN alert_seq INTEGER NOT NULL DEFAULT 0;
