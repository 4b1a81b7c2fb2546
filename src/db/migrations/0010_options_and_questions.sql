-- Issue 11: the school's rules for options per MEF, and the school's own
-- questions of vie scolaire (FSE, authorisations, custom questions) instead
-- of hard-coded ones. Portable SQL (see migrate.rs).

-- Groups of options of a MEF where exactly one, or at most one, may be
-- chosen (one LV2).
CREATE TABLE option_groups (
    id {{id}},
    mef_id BIGINT NOT NULL REFERENCES mefs(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    rule TEXT NOT NULL CHECK (rule IN ('exactly_one', 'at_most_one')),
    created_at BIGINT NOT NULL
);
CREATE INDEX option_groups_mef ON option_groups (mef_id);

-- Mandatory: followed by every pupil of the MEF, never dropped. Capacity:
-- the places open to new requests (NULL: no limit). Group: see above.
ALTER TABLE mef_options ADD COLUMN mandatory {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE mef_options ADD COLUMN capacity BIGINT CHECK (capacity IS NULL OR capacity > 0);
ALTER TABLE mef_options ADD COLUMN group_id BIGINT REFERENCES option_groups(id) ON DELETE SET NULL;

-- A guardian's request of an option the pupil does not follow, in the order
-- families asked (the first `capacity` dossiers get a place, the others are
-- on the waiting list). A request is kept while the guardian's answer keeps
-- it: asking again later does not lose the place.
CREATE TABLE option_requests (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    mef_id BIGINT NOT NULL REFERENCES mefs(id) ON DELETE CASCADE,
    option_id BIGINT NOT NULL REFERENCES subject_options(id) ON DELETE CASCADE,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id, option_id)
);
CREATE INDEX option_requests_option ON option_requests (mef_id, option_id);

-- The school's questions of the vie scolaire step. `answer_key` is the key
-- of the answers in dossier_answers and the column of the school's exports;
-- it never changes once created.
CREATE TABLE school_questions (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('fse', 'authorisation', 'custom')),
    answer_type TEXT NOT NULL CHECK (answer_type IN ('yes_no', 'choice', 'text')),
    answer_key TEXT NOT NULL,
    label TEXT NOT NULL,
    question TEXT NOT NULL,
    help TEXT NOT NULL DEFAULT '',
    -- One choice per line (answer_type 'choice').
    choices TEXT NOT NULL DEFAULT '',
    amount_cents BIGINT CHECK (amount_cents IS NULL OR amount_cents >= 0),
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, answer_key)
);

-- Schools whose families already answered the questions that were
-- hard-coded before (photo, sorties, fse) keep them, under the same keys.
INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, position, created_at)
SELECT s.id, 'authorisation', 'yes_no', 'photo', 'Photo de classe',
       'J''autorise la photo de classe de mon enfant', 1, 0
FROM schools s
WHERE EXISTS (SELECT 1 FROM dossier_answers a JOIN dossiers d ON d.id = a.dossier_id
              JOIN pupils p ON p.id = d.pupil_id WHERE p.school_id = s.id AND a.question = 'photo');
INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, position, created_at)
SELECT s.id, 'authorisation', 'yes_no', 'sorties', 'Sorties scolaires',
       'J''autorise mon enfant à participer aux sorties scolaires', 2, 0
FROM schools s
WHERE EXISTS (SELECT 1 FROM dossier_answers a JOIN dossiers d ON d.id = a.dossier_id
              JOIN pupils p ON p.id = d.pupil_id WHERE p.school_id = s.id AND a.question = 'sorties');
INSERT INTO school_questions (school_id, kind, answer_type, answer_key, label, question, position, created_at)
SELECT s.id, 'fse', 'yes_no', 'fse', 'Adhésion au foyer socio-éducatif',
       'J''adhère au foyer socio-éducatif (FSE)', 3, 0
FROM schools s
WHERE EXISTS (SELECT 1 FROM dossier_answers a JOIN dossiers d ON d.id = a.dossier_id
              JOIN pupils p ON p.id = d.pupil_id WHERE p.school_id = s.id AND a.question = 'fse');
