-- Sign-in failure limits shared by every instance (issue 8).

-- Failures counted per key in a fixed window, and the lock they set. Keys are
-- `<scope>:<address>` (failures from one address) or
-- `<scope>:<hash of the e-mail>:<address>` (one account from one address);
-- never an e-mail or a code in clear.
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT
);
CREATE INDEX sign_in_failures_window_start ON sign_in_failures (window_start);

-- A family code is locked for longer each time (15 min, 30 min, 1 h … 24 h):
-- how many times since it was last used successfully or re-issued.
ALTER TABLE guardians ADD COLUMN sign_in_lockouts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guardians ADD COLUMN last_failed_sign_in_at BIGINT;

-- When an agent was last told by e-mail of failed sign-ins to their account
-- (at most one message an hour).
ALTER TABLE agents ADD COLUMN failure_notice_at BIGINT;
