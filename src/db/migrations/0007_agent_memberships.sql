-- Agents in several schools, with a set of roles in each (issue 11).
--
-- An agent is one person: one e-mail, one password. What they may do is per
-- school, in agent_memberships: the roles are the sum of their bits
-- (admin 1, secretariat 2, intendance 4, vie_scolaire 8, infirmerie 16; see
-- domain::RoleSet), so the CHECK refuses an empty or unknown set. A
-- deactivated membership keeps its row (and its history) but opens nothing.
CREATE TABLE agent_memberships (
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    roles BIGINT NOT NULL CHECK (roles BETWEEN 1 AND 31),
    active {{bool}} NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, school_id)
);
CREATE INDEX agent_memberships_school ON agent_memberships (school_id);

INSERT INTO agent_memberships (agent_id, school_id, roles, active, created_at, updated_at)
SELECT id, school_id,
       CASE role WHEN 'admin' THEN 1 WHEN 'secretariat' THEN 2 WHEN 'intendance' THEN 4
                 WHEN 'vie_scolaire' THEN 8 ELSE 16 END,
       TRUE, created_at, created_at
FROM agents;

-- The role now lives in the membership. agents.school_id stays (SQLite cannot
-- drop a column that is a foreign key): it is only the school where the
-- account was first created, and opens nothing.
ALTER TABLE agents DROP COLUMN role;

-- One-time links sent by e-mail: an invitation (7 days) or a new password
-- (1 hour). Only the SHA-256 of the token is kept. A link works once
-- (used_at); sending a new one voids the previous ones (used_at as well).
CREATE TABLE agent_links (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    school_id BIGINT REFERENCES schools(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX agent_links_agent ON agent_links (agent_id, purpose);
