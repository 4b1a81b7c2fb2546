-- A change of track decided by the school for one pupil: the MEF they go to
-- next year, chosen on the dossier's page (« Formation l'an prochain »). NULL:
-- the default (the campaign's « redoublants » if marked, else the campaign's
-- MEF succession). When set, it wins over both; DOUBLEMENT is computed in the
-- return file as « next MEF = this year's MEF ».
ALTER TABLE dossiers ADD COLUMN next_mef_id BIGINT REFERENCES mefs(id) ON DELETE SET NULL;
