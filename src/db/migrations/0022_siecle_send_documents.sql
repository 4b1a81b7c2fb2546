-- The return files to SIECLE are kept in the documents store (issue 13), so
-- that the school downloads a file again from its history, byte for byte:
-- the store's key of each downloaded file (NULL for a dry run, a file made
-- from the command line, or one the store could not keep).
ALTER TABLE siecle_sends ADD COLUMN document_key TEXT;
