-- The pieces queue (issue 13): the school decides on each piece in turn, and
-- a family's refusals are told in one message with a link to replace them.

-- When the family was told of this refusal (NULL: not yet). Refusals made
-- before the queue were told in the message that sent the dossier back.
ALTER TABLE uploads ADD COLUMN refusal_notified_at BIGINT;
UPDATE uploads SET refusal_notified_at = created_at WHERE status = 'refused';

-- When the family replaced this refused file by a new one (which goes back
-- to the queue); NULL while it is still to replace.
ALTER TABLE uploads ADD COLUMN replaced_at BIGINT;

-- Where a single-use sign-in link leads once used: a path of ours, set by
-- the server (the page to replace refused pieces); NULL: the usual page.
ALTER TABLE sign_in_links ADD COLUMN next_path TEXT;
