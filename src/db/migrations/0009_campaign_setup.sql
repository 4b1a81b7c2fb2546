-- Issue 11, the campaign set up in the browser: dates enforced, help texts,
-- repeaters, conditional pieces, the tariff grid's lower bounds.

-- Until when a dossier the school sent back may be sent again (YYYY-MM-DD;
-- NULL: until the closing date) and the days of the demi-pension.
ALTER TABLE campaigns ADD COLUMN returned_until TEXT;
ALTER TABLE campaigns ADD COLUMN canteen_days TEXT NOT NULL DEFAULT '';

-- The school's help for one step of the family journey (Markdown, shown
-- rendered and sanitised; never a template).
CREATE TABLE campaign_help_texts (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (campaign_id, step)
);

-- A MEF the school confirmed has no next MEF: its pupils leave the collège
-- (3e). A MEF with no next MEF and no such mark is still to set.
ALTER TABLE mefs ADD COLUMN ends_college {{bool}} NOT NULL DEFAULT FALSE;

-- A pupil the school keeps in the same level next year (redoublement).
ALTER TABLE dossiers ADD COLUMN repeating {{bool}} NOT NULL DEFAULT FALSE;

-- When a piece is asked: every condition ticked must hold.
ALTER TABLE expected_documents ADD COLUMN only_new_pupils {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE expected_documents ADD COLUMN only_demi_pension {{bool}} NOT NULL DEFAULT FALSE;
ALTER TABLE expected_documents ADD COLUMN only_separated {{bool}} NOT NULL DEFAULT FALSE;
-- A piece asked only of the pupils of some MEFs (none: of every MEF).
CREATE TABLE expected_document_mefs (
    document_id BIGINT NOT NULL REFERENCES expected_documents(id) ON DELETE CASCADE,
    mef_id BIGINT NOT NULL REFERENCES mefs(id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, mef_id)
);

-- Tariff brackets get their lowest quotient (inclusive) so that the grid
-- can be checked for gaps and overlaps.
ALTER TABLE canteen_tariffs ADD COLUMN quotient_min BIGINT NOT NULL DEFAULT 0;
-- Existing grids: each bracket starts just above the one below it.
UPDATE canteen_tariffs SET quotient_min = COALESCE(
    (SELECT MAX(t2.quotient_max) + 1 FROM canteen_tariffs t2
     WHERE t2.school_id = canteen_tariffs.school_id AND t2.quotient_max IS NOT NULL
       AND (canteen_tariffs.quotient_max IS NULL OR t2.quotient_max < canteen_tariffs.quotient_max)),
    0);
