-- How an audited action was done: '' by its actor for themself, 'assisted'
-- by an agent (the actor) at the desk with the family. The dossier's
-- timeline reads it (issue 13). The same column as in the assisted mode's
-- migration: keep only one of the two when both are merged.
ALTER TABLE audit_events ADD COLUMN mode TEXT NOT NULL DEFAULT '';
