-- Revisions of what the school's list of dossiers is computed from (see
-- src/db/revisions.rs): bumped by triggers, which that module creates after
-- the migrations. A pupil or school without a row is at revision 0.
CREATE TABLE pupil_revisions (
    pupil_id BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);
CREATE TABLE school_revisions (
    school_id BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);
