-- A personal code just issued by an agent, kept until that agent's next page
-- shows it once (Post/Redirect/Get: a reload neither issues another code nor
-- shows this one again). Only the hash is kept for signing in
-- (guardians.access_code_hash); the code itself stays here a few seconds,
-- ten minutes at most when the page is never shown.
CREATE TABLE code_slips (
    guardian_id BIGINT NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (guardian_id, agent_id)
);
