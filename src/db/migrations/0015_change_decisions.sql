-- The school's decision on each change a family proposed (issue 13): a
-- pupil's field, a guardian's contact detail or an answer, keyed within the
-- dossier (`pupil:first_name`, `guardian:12:email`, `answer:canteen`). A
-- decision holds for the value it was taken on (`proposed_value`): if the
-- family changes the value again, the change is undecided again. Only
-- accepted changes go back to SIECLE; a rejection's reason is shown to the
-- family when the dossier is sent back. The label and the value in words
-- are kept as the agent read them, for the family's page and the history.
CREATE TABLE change_decisions (
    id {{id}},
    dossier_id BIGINT NOT NULL REFERENCES dossiers(id) ON DELETE CASCADE,
    change_key TEXT NOT NULL,
    proposed_value TEXT NOT NULL,
    label TEXT NOT NULL,
    proposed_words TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reason TEXT NOT NULL DEFAULT '',
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    decided_at BIGINT NOT NULL,
    UNIQUE (dossier_id, change_key)
);
