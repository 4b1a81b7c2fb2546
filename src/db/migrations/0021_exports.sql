-- The school's exports (issue 13): a spreadsheet, a ZIP of pieces or a PDF
-- asked by an agent, made by a job and kept in the documents store until
-- `expires_at` (`export_retention_hours` after it was made); a periodic job
-- then deletes the file and marks the row `expired`.
CREATE TABLE exports (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    -- What is exported (`exports::Kind::code`).
    kind TEXT NOT NULL,
    -- The choices made on the exports page (class, date of a convocation…), as JSON.
    params TEXT NOT NULL DEFAULT '{}',
    requested_by BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    job_id BIGINT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed', 'expired')),
    failure TEXT NOT NULL DEFAULT '',
    document_key TEXT,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX exports_school ON exports (school_id, created_at);
CREATE INDEX exports_expiry ON exports (status, expires_at);
