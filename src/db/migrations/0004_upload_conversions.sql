-- A photo converted on the server (HEIC → JPEG) keeps what the family sent:
-- `storage_key` is the file agents see, `source_key` the original.
ALTER TABLE uploads ADD COLUMN source_key TEXT;
