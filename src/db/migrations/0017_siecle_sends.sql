-- The return file to SIECLE (issue 13, docs/SIECLE-RETURN.md): what the writer
-- needs that neither the exports nor the dossiers give.

-- The first and last days of classes of the campaign's school year
-- (DATE_DEB_SCO and the dry run's « inside the school year »), `YYYY-MM-DD`,
-- given by the school: never taken from the clock, never hard-coded.
ALTER TABLE campaigns ADD COLUMN classes_start_on TEXT;
ALTER TABLE campaigns ADD COLUMN classes_end_on TEXT;

-- The private ids (ID_PRV_ELE, ID_PRV_PER) our allocator gave, for pupils and
-- persons SIECLE exported none for: stable per school across files, never
-- reused (a row is never deleted, even when its record is).
CREATE TABLE siecle_private_ids (
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('pupil', 'person')),
    record_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    PRIMARY KEY (school_id, kind, record_id),
    UNIQUE (school_id, kind, number)
);

-- Every return file produced or dry-run: who, when, how, which dossiers. The
-- school's NUM_ENVOI is the highest send_number of its downloaded files (a dry
-- run has none and never uses one up).
CREATE TABLE siecle_sends (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    send_number BIGINT,
    dry_run {{bool}} NOT NULL,
    file_name TEXT NOT NULL,
    -- The agent who made it; NULL when made from the command line.
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    from_cli {{bool}} NOT NULL,
    -- The generation time, French local time, `YYYY-MM-DD HH:MM:SS`.
    generated_at TEXT NOT NULL,
    blocking_count BIGINT NOT NULL DEFAULT 0,
    warning_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, send_number)
);

-- The dossiers a file holds.
CREATE TABLE siecle_send_dossiers (
    send_id BIGINT NOT NULL REFERENCES siecle_sends(id) ON DELETE CASCADE,
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    PRIMARY KEY (send_id, dossier_id)
);

-- A dossier sent to SIECLE in a downloaded file: the latest such file.
ALTER TABLE dossiers ADD COLUMN siecle_send_id BIGINT REFERENCES siecle_sends(id) ON DELETE SET NULL;
