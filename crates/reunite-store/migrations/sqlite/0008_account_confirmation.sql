-- Issue 16 (finding 8): four eyes for staff accounts. An account made on the office's admin
-- page, a raise of an account's role and the re-enabling of a disabled account wait until a
-- different administrator confirms them; lowering and disabling apply at once.
--   confirmed = 0   a new account nobody else has confirmed yet: it cannot sign in.
--   pending_by      the administrator whose new account or change waits (NULL: nothing waits).
--   pending_role    the role the account gets when confirmed (NULL: its role stays).
--   pending_enable  1: the account is enabled when confirmed.
-- Accounts that exist before this migration stay confirmed, with nothing waiting.
ALTER TABLE users ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN pending_by TEXT;
ALTER TABLE users ADD COLUMN pending_role TEXT;
ALTER TABLE users ADD COLUMN pending_enable INTEGER NOT NULL DEFAULT 0;
