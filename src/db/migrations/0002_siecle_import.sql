-- SIECLE import (issue 3): what the exports tell us about pupils, guardians and the
-- school's nomenclature, and the history of imports. Portable SQL (see migrate.rs).
-- Columns filled by the import only; what families write lives elsewhere and is
-- never touched by an import.

-- Pupils: identifiers and facts from BEE_ELEVES (or the spreadsheet export).
ALTER TABLE pupils ADD COLUMN elenoet TEXT;
ALTER TABLE pupils ADD COLUMN birth_commune_insee TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN birth_department TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN regime_code TEXT NOT NULL DEFAULT '';
-- The MEF code as read, kept even when the MEF is unknown (mef_id is then NULL).
ALTER TABLE pupils ADD COLUMN siecle_mef_code TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN last_year_mef_code TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN last_year_division TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN last_year_uai TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN entry_date TEXT;
ALTER TABLE pupils ADD COLUMN siecle_address_id TEXT;
ALTER TABLE pupils ADD COLUMN address_lines TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN commune_insee TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN country_code TEXT NOT NULL DEFAULT '100';
-- Fingerprint of everything the import wrote: tells "unchanged" from "updated".
ALTER TABLE pupils ADD COLUMN siecle_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN last_import_id BIGINT;

-- Guardians: facts from BEE_RESPONSABLES.
ALTER TABLE guardians ADD COLUMN civility_code TEXT NOT NULL DEFAULT '';
ALTER TABLE guardians ADD COLUMN accepts_sms {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE guardians ADD COLUMN siecle_address_id TEXT;
ALTER TABLE guardians ADD COLUMN commune_insee TEXT NOT NULL DEFAULT '';
ALTER TABLE guardians ADD COLUMN missing_from_siecle {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE guardians ADD COLUMN siecle_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE guardians ADD COLUMN last_import_id BIGINT;

-- Guardianships: NIVEAU_RESPONSABILITE is legal_responsibility (0001); the flags.
ALTER TABLE guardianships ADD COLUMN receives_aid {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE guardianships ADD COLUMN lives_with_pupil {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE guardianships ADD COLUMN contact_first {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE guardianships ADD COLUMN from_siecle {{bool}} NOT NULL DEFAULT FALSE;

-- MEFs: the nomenclature's labels and attachment.
ALTER TABLE mefs ADD COLUMN edition_label TEXT NOT NULL DEFAULT '';
ALTER TABLE mefs ADD COLUMN attached_mef_code TEXT NOT NULL DEFAULT '';
ALTER TABLE mefs ADD COLUMN formation TEXT NOT NULL DEFAULT '';
ALTER TABLE mefs ADD COLUMN mandatory_options_count BIGINT;
ALTER TABLE mefs ADD COLUMN from_siecle {{bool}} NOT NULL DEFAULT FALSE;

-- Subjects (MATIERES) of the nomenclature.
CREATE TABLE subjects (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    management_code TEXT NOT NULL DEFAULT '',
    short_label TEXT NOT NULL DEFAULT '',
    long_label TEXT NOT NULL DEFAULT '',
    edition_label TEXT NOT NULL DEFAULT '',
    national_code TEXT NOT NULL DEFAULT '',
    UNIQUE (school_id, code)
);

-- PROGRAMMES: a subject taught in a MEF, with its modalité d'élection.
CREATE TABLE programmes (
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    mef_code TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    modality_code TEXT NOT NULL DEFAULT '',
    weekly_hours TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (school_id, mef_code, subject_code, modality_code)
);

-- OPTIONS_OBLIGATOIRES: a subject allowed as mandatory option of rank RANG_OPTION.
CREATE TABLE mandatory_options (
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    mef_code TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    option_rank BIGINT NOT NULL,
    PRIMARY KEY (school_id, mef_code, subject_code, option_rank)
);

-- Divisions (D) and groups (G) of the school (BEE_STRUCTURES, or seen in BEE_ELEVES).
CREATE TABLE structures (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('D', 'G')),
    label TEXT NOT NULL DEFAULT '',
    mef_codes TEXT NOT NULL DEFAULT '',
    UNIQUE (school_id, code)
);

-- The divisions and groups of a pupil this year.
CREATE TABLE pupil_structures (
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('D', 'G')),
    PRIMARY KEY (pupil_id, code)
);

-- The subjects a pupil takes as options this year, as SIECLE lists them.
CREATE TABLE pupil_siecle_options (
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    subject_code TEXT NOT NULL,
    modality_code TEXT NOT NULL DEFAULT '',
    option_number BIGINT,
    PRIMARY KEY (pupil_id, subject_code)
);

-- One import of SIECLE files: uploaded, previewed, then applied (or refused).
CREATE TABLE imports (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'previewing'
        CHECK (status IN ('previewing', 'previewed', 'refused', 'applying', 'done', 'failed')),
    -- JSON: [{"name", "key", "size", "kind"}]
    files TEXT NOT NULL DEFAULT '[]',
    -- JSON: the preview (counts, files, problems), then the applied counts.
    preview TEXT NOT NULL DEFAULT '',
    problem_count BIGINT NOT NULL DEFAULT 0,
    fatal {{bool}} NOT NULL DEFAULT FALSE,
    error TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    preview_job_id BIGINT,
    apply_job_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    applied_at BIGINT
);
CREATE INDEX imports_school ON imports (school_id, created_at);
