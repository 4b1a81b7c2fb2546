-- The return file to SIECLE (issue 13, docs/SIECLE-RETURN.md): what the exports
-- say that the file must send back as SIECLE had it, and that the import did
-- not keep before. Filled by the import only; schools re-import once. A NULL
-- boolean means SIECLE did not say (never taken as false).

-- Pupils (BEE_ELEVES).
ALTER TABLE pupils ADD COLUMN siecle_private_id TEXT;
ALTER TABLE pupils ADD COLUMN usage_name TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN first_name2 TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN first_name3 TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN status_code TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN provenance_code TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN repeating {{bool}};
ALTER TABLE pupils ADD COLUMN school_transport {{bool}};
ALTER TABLE pupils ADD COLUMN accepts_sms {{bool}};
ALTER TABLE pupils ADD COLUMN phone_home TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN phone_work TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN phone_mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE pupils ADD COLUMN exit_date TEXT;
ALTER TABLE pupils ADD COLUMN exit_reason_code TEXT NOT NULL DEFAULT '';

-- The grants of a pupil (BOURSES/BOURSE/CODE_BOURSE; SIECLE exports no NB_PART).
CREATE TABLE pupil_grants (
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (pupil_id, code)
);

-- Persons (BEE_RESPONSABLES).
ALTER TABLE guardians ADD COLUMN siecle_private_id TEXT;
ALTER TABLE guardians ADD COLUMN usage_name TEXT NOT NULL DEFAULT '';
ALTER TABLE guardians ADD COLUMN shares_address {{bool}};
-- ACCEPTE_SMS as exported (accepts_sms takes an absent value as false).
ALTER TABLE guardians ADD COLUMN siecle_accepts_sms {{bool}};

-- Links as exported: relationship_code holds 90 when SIECLE gave no valid code
-- and the flags take an absent value as false; the return file sends these.
ALTER TABLE guardianships ADD COLUMN siecle_relationship_code TEXT NOT NULL DEFAULT '';
ALTER TABLE guardianships ADD COLUMN siecle_pays_fees {{bool}};
ALTER TABLE guardianships ADD COLUMN siecle_receives_aid {{bool}};
ALTER TABLE guardianships ADD COLUMN siecle_lives_with_pupil {{bool}};
ALTER TABLE guardianships ADD COLUMN siecle_contact_first {{bool}};

-- The exports' school year (PARAMETRES/ANNEE_SCOLAIRE) of each applied import.
ALTER TABLE imports ADD COLUMN school_year BIGINT;
