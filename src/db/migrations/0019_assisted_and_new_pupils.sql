-- Assisted mode and new pupils (issue 13, docs/SIECLE-RETURN.md).

-- An agent's session filling one dossier with the family at the desk, as one
-- of its guardians (both NULL: not assisting). Set and cleared by the agent.
ALTER TABLE sessions ADD COLUMN assisted_dossier_id BIGINT;
ALTER TABLE sessions ADD COLUMN assisted_guardian_id BIGINT;

-- How an audited action was done: '' by its actor for themself, 'assisted'
-- by an agent (the actor) at the desk with the family.
ALTER TABLE audit_events ADD COLUMN mode TEXT NOT NULL DEFAULT '';

-- A pupil the school created (not yet known to SIECLE: no ELEVE_ID, no INE
-- until SIECLE's next export, which the import matches by names and birth
-- date), and last year's school when only its department is known
-- (ETABLISSEMENT_AN_DERNIER/CODE_DEPARTEMENT).
ALTER TABLE pupils ADD COLUMN created_by_school {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE pupils ADD COLUMN last_year_department TEXT NOT NULL DEFAULT '';
-- The MEF such a pupil enters next year (SCOLARITE_ACTIVE/CODE_MEF), chosen
-- among the campaign's; its `mef_id` is this year's (the MEF before it, if
-- the school has one), as for every pupil.
ALTER TABLE pupils ADD COLUMN entry_mef_code TEXT NOT NULL DEFAULT '';
