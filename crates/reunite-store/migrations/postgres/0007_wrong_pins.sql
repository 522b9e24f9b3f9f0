-- Issue 16: wrong PINs on the check-in page. trips.wrong_pins becomes the count of wrong
-- PINs in the whole trip (for the office; a good check-in no longer resets it), and
-- throttle_wrong counts the wrong PINs since the last check-in that was answered "saved"
-- (it spaces out the answers to further attempts). last_attempt_at is the last attempt
-- that was answered truthfully. Existing counts carry over to both. A check-in recorded
-- while answers were spaced out (she was answered "not recognised") is marked spaced = 1,
-- so the office knows she may believe it failed and that a guesser may have made it.
ALTER TABLE trips ADD COLUMN throttle_wrong BIGINT NOT NULL DEFAULT 0;
UPDATE trips SET throttle_wrong = wrong_pins;
ALTER TABLE trip_checkins ADD COLUMN spaced BIGINT NOT NULL DEFAULT 0;
