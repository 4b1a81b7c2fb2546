-- The campaign's dashboard (issue 12): when each guardian last signed in,
-- and the requests of families who lost their personal code.

ALTER TABLE guardians ADD COLUMN last_sign_in_at BIGINT;
-- Sign-ins before this migration are in the audit trail.
UPDATE guardians SET last_sign_in_at = (
    SELECT MAX(a.created_at) FROM audit_events a
    WHERE a.actor_kind = 'guardian' AND a.actor_id = guardians.id AND a.action = 'sign_in'
);

-- A family who lost its code asks the school for a new one from the sign-in
-- page. What they typed is kept as typed; the pupil it matches (same names
-- and birth date in that school), if any, is found when the request is made.
-- Nothing tells the family whether it matched.
CREATE TABLE code_requests (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    pupil_last_name TEXT NOT NULL,
    pupil_first_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    guardian_name TEXT NOT NULL,
    contact TEXT NOT NULL,
    pupil_id BIGINT REFERENCES pupils(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'issued', 'dismissed')),
    -- The agent who issued a code or dismissed the request, and when.
    handled_by BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    handled_at BIGINT,
    ip TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX code_requests_school ON code_requests (school_id, status, created_at);
