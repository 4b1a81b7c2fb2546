-- Family journey, second part: converted uploads and step drafts.

-- A photo converted on the server (HEIC → JPEG) keeps what the family sent:
-- `storage_key` is the file agents see, `source_key` the original.
ALTER TABLE uploads ADD COLUMN source_key TEXT;

-- What a guardian was typing in a step that is not saved field by field (a
-- new emergency contact), kept by autosave until the step is sent.
CREATE TABLE step_drafts (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id, step)
);
