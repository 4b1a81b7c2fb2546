-- Messages to families (issue 12): one row per message to one guardian by
-- one channel, created with the job that delivers it (`notify::send`), its
-- status kept up to date by that job and by the SMS provider's delivery
-- reports (the webhook). The school reads them per family.
CREATE TABLE messages (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    -- The dossier it is about, if it is about one.
    dossier_id BIGINT REFERENCES dossiers(id) ON DELETE SET NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder', 'individual', 'receipt', 'returned')),
    -- The address or number as it was used, and what was written.
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'bounced')),
    -- Why it failed or bounced, for the school, in French.
    failure TEXT NOT NULL DEFAULT '',
    -- The provider's id of the message (Brevo's messageId), which its
    -- delivery reports name.
    provider_id TEXT,
    -- The reminder or invitation it is part of, if any.
    batch_id BIGINT,
    created_at BIGINT NOT NULL,
    status_at BIGINT NOT NULL
);
CREATE INDEX messages_guardian ON messages (guardian_id, created_at);
CREATE INDEX messages_school ON messages (school_id, kind, created_at);
CREATE UNIQUE INDEX messages_provider ON messages (channel, provider_id);

-- Single-use sign-in links sent by e-mail and SMS (instead of a code, so that
-- they never replace a printed letter's code). Only the token's hash is kept.
CREATE TABLE sign_in_links (
    id {{id}},
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX sign_in_links_guardian ON sign_in_links (guardian_id);

-- Invitations and reminders sent by the school: one batch per sending, its
-- target and texts as the agent read them, and how it went.
CREATE TABLE reminder_batches (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    -- What was chosen: a state, a class, or dossiers (JSON array of ids).
    target_state TEXT,
    division TEXT,
    dossier_ids TEXT,
    by_email {{bool}} NOT NULL DEFAULT FALSE,
    by_sms {{bool}} NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
    job_id BIGINT,
    families BIGINT NOT NULL DEFAULT 0,
    queued BIGINT NOT NULL DEFAULT 0,
    skipped_recent BIGINT NOT NULL DEFAULT 0,
    without_contact BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX reminder_batches_school ON reminder_batches (school_id, created_at);

-- E-mails are sent as text and HTML; the outbox keeps both.
ALTER TABLE outbox_emails ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
