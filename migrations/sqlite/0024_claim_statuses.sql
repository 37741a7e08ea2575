-- The claim lifecycle gains what acknowledgments and remittances say (issue 16): `received`
-- (a clearinghouse or payer has it, not yet accepted), `partially_paid` and `forwarded` (paid,
-- and passed on to another payer). SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt. sqlx runs this inside a transaction, where foreign keys cannot be switched off;
-- deferred instead, dropping `claims` counts its lines and events as orphans, and inserting
-- the same rows into the new `claims` counts them back, so the commit checks that every
-- reference still holds (a rename would have pointed the other tables at the old table).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE claims_before_0024 AS SELECT * FROM claims;
DROP INDEX claims_client;
DROP INDEX claims_status;
DROP INDEX claims_payer;
DROP TABLE claims;
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    -- CLM01, the patient control number the payer echoes back (835 CLP01): 'PD' + sequence.
    claim_number TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients (id),
    coverage_id TEXT NOT NULL REFERENCES coverages (id),
    payer_id TEXT NOT NULL REFERENCES payers (id),
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    authorization_id TEXT REFERENCES authorizations (id),
    authorization_number TEXT,
    period_from DATE NOT NULL,
    period_through DATE NOT NULL,
    statement_from DATE NOT NULL,
    statement_through DATE NOT NULL,
    claim_form TEXT NOT NULL CHECK (claim_form IN ('837I', '837P')),
    type_of_bill TEXT,
    place_of_service TEXT,
    -- JSON array of NUBC condition codes ('[]' on the 837P).
    condition_codes TEXT NOT NULL,
    principal_diagnosis TEXT NOT NULL,
    -- JSON array of ICD-10-CM codes.
    other_diagnoses TEXT NOT NULL,
    -- CL103 on the 837I: '30' still a patient, or the episode's discharge status.
    discharge_status TEXT NOT NULL,
    total_charge_cents BIGINT NOT NULL CHECK (total_charge_cents >= 0),
    -- NULL when a line's schedule has no contracted amount.
    expected_reimbursement_cents BIGINT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'ready', 'submitted', 'received',
        'accepted', 'rejected', 'paid', 'partially_paid', 'denied', 'forwarded', 'void',
        'replaced')),
    -- CLM05-3: '1' original, '7' replacement, '8' void (cancel of a claim the payer has).
    frequency TEXT NOT NULL CHECK (frequency IN ('1', '7', '8')),
    -- The claim a replacement or void claim refers to (REF*F8).
    original_claim_id TEXT REFERENCES claims (id),
    -- The payer's own claim number, once the payer has it (preferred in REF*F8).
    payer_claim_number TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((frequency = '1') = (original_claim_id IS NULL)),
    CHECK (statement_from <= statement_through)
);
INSERT INTO claims SELECT * FROM claims_before_0024;
DROP TABLE claims_before_0024;
CREATE INDEX claims_client ON claims (client_id, statement_from);
CREATE INDEX claims_status ON claims (status, statement_from);
CREATE INDEX claims_payer ON claims (payer_id, statement_from);
