-- Foundation schema. Written once for SQLite and PostgreSQL (see migrate.rs for
-- the type tokens). Timestamps are BIGINT Unix milliseconds (*_at columns);
-- calendar dates are TEXT 'YYYY-MM-DD'; booleans are the bool token (read them with db::Flag).

CREATE TABLE schools (
    id {{id}},
    uai TEXT NOT NULL UNIQUE CHECK (length(uai) = 8),
    name TEXT NOT NULL,
    city TEXT NOT NULL DEFAULT '',
    academy TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- A re-enrolment campaign of one school for one school year (the year it starts).
CREATE TABLE campaigns (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    school_year BIGINT NOT NULL,
    opens_on TEXT,
    closes_on TEXT,
    welcome_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, school_year)
);

CREATE TABLE agents (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'secretariat', 'intendance', 'vie_scolaire', 'infirmerie')),
    password_hash TEXT,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_sign_in_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX agents_school ON agents (school_id);

-- Grade/track codes (MEF) of a school, with where each goes next year.
CREATE TABLE mefs (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    code TEXT NOT NULL CHECK (length(code) = 11),
    label TEXT NOT NULL,
    next_mef_id BIGINT REFERENCES mefs(id) ON DELETE SET NULL,
    UNIQUE (school_id, code)
);

-- Subjects that can be options (code matière from the nomenclature).
CREATE TABLE subject_options (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    UNIQUE (school_id, code)
);

-- Which options a MEF offers, and the school's rules for them.
CREATE TABLE mef_options (
    mef_id BIGINT NOT NULL REFERENCES mefs(id) ON DELETE CASCADE,
    option_id BIGINT NOT NULL REFERENCES subject_options(id) ON DELETE CASCADE,
    modality TEXT NOT NULL CHECK (modality IN ('O', 'F')),
    can_drop {{bool}} NOT NULL DEFAULT FALSE,
    open_to_new {{bool}} NOT NULL DEFAULT FALSE,
    PRIMARY KEY (mef_id, option_id)
);

CREATE TABLE pupils (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    siecle_eleve_id TEXT,
    ine TEXT,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    other_first_names TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date TEXT NOT NULL,
    birth_city TEXT NOT NULL DEFAULT '',
    birth_country_code TEXT NOT NULL DEFAULT '100',
    nationality_code TEXT NOT NULL DEFAULT '100',
    mef_id BIGINT REFERENCES mefs(id) ON DELETE SET NULL,
    division TEXT NOT NULL DEFAULT '',
    missing_from_siecle {{bool}} NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (school_id, siecle_eleve_id),
    UNIQUE (school_id, ine)
);

-- Options a pupil practises this year.
CREATE TABLE pupil_options (
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    option_id BIGINT NOT NULL REFERENCES subject_options(id) ON DELETE CASCADE,
    PRIMARY KEY (pupil_id, option_id)
);

-- A person responsible for one or more pupils of a school (siblings share them).
CREATE TABLE guardians (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    siecle_personne_id TEXT,
    civility TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    phone_mobile TEXT NOT NULL DEFAULT '',
    phone_home TEXT NOT NULL DEFAULT '',
    phone_work TEXT NOT NULL DEFAULT '',
    profession_code TEXT NOT NULL DEFAULT '',
    address_lines TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country_code TEXT NOT NULL DEFAULT '100',
    access_code_hash TEXT UNIQUE,
    access_code_issued_at BIGINT,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (school_id, siecle_personne_id)
);

-- The link between a pupil and a guardian (SIECLE's RESPONSABLE).
CREATE TABLE guardianships (
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    rank BIGINT NOT NULL CHECK (rank IN (1, 2, 3)),
    relationship_code TEXT NOT NULL CHECK (length(relationship_code) = 2),
    legal_responsibility BIGINT NOT NULL DEFAULT 1,
    pays_fees {{bool}} NOT NULL DEFAULT FALSE,
    PRIMARY KEY (pupil_id, guardian_id)
);
CREATE INDEX guardianships_guardian ON guardianships (guardian_id);

-- Pieces the school asks for (pièces attendues).
CREATE TABLE expected_documents (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    mandatory {{bool}} NOT NULL DEFAULT FALSE,
    position BIGINT NOT NULL DEFAULT 0
);

-- One re-enrolment dossier per pupil and campaign.
CREATE TABLE dossiers (
    id {{id}},
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'not_started'
        CHECK (state IN ('not_started', 'started', 'submitted', 'returned', 'validated', 'leaving')),
    furthest_step TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (campaign_id, pupil_id)
);
CREATE INDEX dossiers_pupil ON dossiers (pupil_id);

-- Every change of state of a dossier: who, when, from where.
CREATE TABLE dossier_transitions (
    id {{id}},
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('guardian', 'agent', 'system')),
    actor_id BIGINT,
    ip TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX dossier_transitions_dossier ON dossier_transitions (dossier_id);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT REFERENCES agents(id) ON DELETE CASCADE,
    guardian_id BIGINT REFERENCES guardians(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    CHECK ((agent_id IS NULL) <> (guardian_id IS NULL))
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The background job queue (see src/jobs).
CREATE TABLE jobs (
    id {{id}},
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedup_key TEXT UNIQUE,
    school_id BIGINT REFERENCES schools(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    run_at BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_ready ON jobs (status, run_at);

-- E-mails kept in the database when mail_transport = outbox.
CREATE TABLE outbox_emails (
    id {{id}},
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    job_id BIGINT,
    created_at BIGINT NOT NULL
);
-- A retried e-mail job stores its message once.
CREATE UNIQUE INDEX outbox_emails_job ON outbox_emails (job_id);

-- Audit trail of security-relevant actions (sign-ins, refusals, changes).
CREATE TABLE audit_events (
    id {{id}},
    school_id BIGINT REFERENCES schools(id) ON DELETE SET NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('guardian', 'agent', 'system', 'anonymous')),
    actor_id BIGINT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_school ON audit_events (school_id, created_at);
