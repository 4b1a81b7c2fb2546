-- Issue 10: what each guardian says is kept apart until one certifies it.
--
-- A change to the pupil's identity was stored once per dossier and field, so
-- the second guardian's edit silently replaced the first's. It is now kept
-- per guardian; the school reads the certified one (the sender's) and sees a
-- disagreement flagged.
CREATE TABLE pupil_changes_by_guardian (
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    siecle_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, guardian_id, field)
);
INSERT INTO pupil_changes_by_guardian (dossier_id, guardian_id, field, siecle_value, new_value, changed_at)
    SELECT dossier_id, changed_by, field, siecle_value, new_value, changed_at
    FROM pupil_changes WHERE changed_by IS NOT NULL;
DROP TABLE pupil_changes;
ALTER TABLE pupil_changes_by_guardian RENAME TO pupil_changes;

-- Whom families write to about the campaign (shown in e-mails, the receipt
-- and the pages of a sent dossier). Set on the campaign's screen.
ALTER TABLE campaigns ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
