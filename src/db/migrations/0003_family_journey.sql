-- The family journey. What families enter is kept apart from what SIECLE
-- said: pupils and guardians rows stay as imported, changes are an overlay
-- (so the return file contains only real changes, and a re-import never
-- loses what a family typed).

-- A pupil's field changed by a family, per dossier.
CREATE TABLE pupil_changes (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    siecle_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    changed_by BIGINT REFERENCES guardians(id) ON DELETE SET NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, field)
);

-- A guardian's own contact details changed by that guardian (shared by
-- siblings: filled once).
CREATE TABLE guardian_changes (
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    siecle_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (guardian_id, field)
);

-- Each guardian's own answers (options, canteen, authorisations…). Two
-- guardians' different answers both stay: the dossier is then flagged.
CREATE TABLE dossier_answers (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id, question)
);

-- How far each guardian went in each dossier.
CREATE TABLE guardian_progress (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    furthest_step TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id)
);

CREATE TABLE emergency_contacts (
    id {{id}},
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    added_by BIGINT REFERENCES guardians(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    relationship TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX emergency_contacts_dossier ON emergency_contacts (dossier_id);

-- Medical information: read by the nurse role only.
CREATE TABLE medical_notes (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    mode TEXT NOT NULL CHECK (mode IN ('nothing', 'online', 'sealed')),
    note TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id)
);

-- Files sent for an expected document (several per piece allowed).
CREATE TABLE uploads (
    id {{id}},
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    expected_document_id BIGINT NOT NULL REFERENCES expected_documents(id) ON DELETE CASCADE,
    guardian_id BIGINT REFERENCES guardians(id) ON DELETE SET NULL,
    storage_key TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'accepted', 'refused')),
    refusal_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX uploads_dossier ON uploads (dossier_id, expected_document_id);

CREATE TABLE satisfaction (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    mark BIGINT NOT NULL CHECK (mark BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id)
);

-- The school's rules for leaving during the day (régimes de sortie).
CREATE TABLE exit_rules (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0
);

-- Demi-pension tariffs by quotient familial bracket (upper bound inclusive,
-- NULL for the last bracket), price per meal in cents.
CREATE TABLE canteen_tariffs (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    quotient_max BIGINT,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0)
);

ALTER TABLE dossiers ADD COLUMN submitted_at BIGINT;
ALTER TABLE dossiers ADD COLUMN submitted_by BIGINT REFERENCES guardians(id) ON DELETE SET NULL;
ALTER TABLE dossiers ADD COLUMN return_reason TEXT NOT NULL DEFAULT '';
