-- Interim bills of a long stay (issue 17): CLM05-3 / the type of bill's last digit may also be
-- '2' (interim, first claim), '3' (interim, continuing) or '4' (interim, last claim). Like '1',
-- they refer to no earlier claim; only a replacement ('7') or a void ('8') does. SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt as 0024 did (see there why foreign keys
-- are deferred, not switched off); the columns are 0024's plus 0028's `warnings`, in order.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE claims_before_0030 AS SELECT * FROM claims;
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
    -- CLM05-3: '1' original (admit through discharge), '2' / '3' / '4' interim (first,
    -- continuing, last), '7' replacement, '8' void (cancel of a claim the payer has).
    frequency TEXT NOT NULL CHECK (frequency IN ('1', '2', '3', '4', '7', '8')),
    -- The claim a replacement or void claim refers to (REF*F8).
    original_claim_id TEXT REFERENCES claims (id),
    -- The payer's own claim number, once the payer has it (preferred in REF*F8).
    payer_claim_number TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- What billing should know about a claim's days (`fewer_services`), JSON array (0028).
    warnings TEXT NOT NULL DEFAULT '[]',
    CHECK ((frequency IN ('1', '2', '3', '4')) = (original_claim_id IS NULL)),
    CHECK (statement_from <= statement_through)
);
INSERT INTO claims SELECT * FROM claims_before_0030;
DROP TABLE claims_before_0030;
CREATE INDEX claims_client ON claims (client_id, statement_from);
CREATE INDEX claims_status ON claims (status, statement_from);
CREATE INDEX claims_payer ON claims (payer_id, statement_from);
