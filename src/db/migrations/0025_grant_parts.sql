-- The number of parts (NB_PART) of a pupil's grant, which SIECLE's exports do
-- not carry and the return file must send (docs/SIECLE-RETURN.md, check 30):
-- entered by the school (« Parts de bourse » screen) for its current
-- campaign, keyed as the import keys the grant (the pupil and CODE_BOURSE).
-- Not in `pupil_grants`, which each import replaces: a figure outlives a
-- re-import, and is sent only while the import still gives that grant.
CREATE TABLE grant_parts (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    pupil_id BIGINT NOT NULL REFERENCES pupils(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    parts BIGINT NOT NULL CHECK (parts >= 0 AND parts <= 99),
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, pupil_id, code)
);
