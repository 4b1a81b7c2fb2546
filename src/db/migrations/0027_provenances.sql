-- The school's provenances (BEE_NOMENCLATURES, bloc PROVENANCES: CODE_PROVENANCE
-- with its short and long labels), kept at import so that the agent chooses a
-- new pupil's provenance by its label and the return file sends its code
-- (ETABLISSEMENT_AN_DERNIER/CODE_PROVENANCE). Replaced whole by each
-- nomenclature that has the block.
CREATE TABLE provenances (
    id {{id}},
    school_id BIGINT NOT NULL REFERENCES schools(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    short_label TEXT NOT NULL DEFAULT '',
    long_label TEXT NOT NULL DEFAULT '',
    UNIQUE (school_id, code)
);
