-- The clinician who answers for the clinic's claims: 837I attending provider (2310A NM1*71),
-- 837P rendering provider (2310B NM1*82). Optional, all three together.
ALTER TABLE organization ADD COLUMN attending_first_name TEXT;
ALTER TABLE organization ADD COLUMN attending_last_name TEXT;
ALTER TABLE organization ADD COLUMN attending_npi TEXT;
