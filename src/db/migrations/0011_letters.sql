-- Printed letters (issue 12): one batch per request of an agent (or of the
-- `letters` command). A batch issues personal codes to the guardians it
-- selects and prints them on a PDF kept in the documents store for its
-- requester, then deleted (`document_deleted_at`). The codes themselves are
-- never stored: only their hashes, in guardians.access_code_hash.
CREATE TABLE letter_batches (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    -- NULL when asked from the command line.
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    -- The selection: a class (NULL: every class), or the guardians of chosen
    -- pupils (a JSON array of dossier ids; NULL: no such restriction), and
    -- only guardians without an e-mail or a mobile phone.
    division TEXT,
    dossier_ids TEXT,
    only_without_contact {{bool}} NOT NULL DEFAULT FALSE,
    -- Whether guardians who have a code get a new one (the old one stops
    -- working), and how many replacements the agent confirmed.
    replace_codes {{bool}} NOT NULL DEFAULT FALSE,
    confirmed_replacements BIGINT NOT NULL DEFAULT 0,
    letter_text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
    failure TEXT NOT NULL DEFAULT '',
    job_id BIGINT,
    document_key TEXT,
    letters BIGINT NOT NULL DEFAULT 0,
    issued BIGINT NOT NULL DEFAULT 0,
    replaced BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    document_deleted_at BIGINT
);
CREATE INDEX letter_batches_school ON letter_batches (school_id, created_at);

-- SMS kept by the outbox transport (demo, tests), like outbox_emails.
CREATE TABLE outbox_sms (
    id {{id}},
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    job_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_sms_job ON outbox_sms (job_id);
