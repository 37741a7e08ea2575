-- Who sends claim files: the submitter id the clearinghouse assigned the clinic (1000A NM109,
-- and ISA06/GS02 unless a payer's connection names its own), and the billing contact (PER02).
-- Both optional: without them the NPI and the legal name are used.
ALTER TABLE organization ADD COLUMN submitter_id TEXT;
ALTER TABLE organization ADD COLUMN billing_contact_name TEXT;
