-- Per-diem claims: one line per billed attended day. PHI (client, diagnoses): every read and
-- write is audited by the service.
--
-- Amounts are integer cents (the house money rule); the API shows them as decimal strings.
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
    status TEXT NOT NULL CHECK (status IN ('draft', 'ready', 'submitted', 'accepted', 'rejected',
        'paid', 'denied', 'void', 'replaced')),
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

CREATE INDEX claims_client ON claims (client_id, statement_from);
CREATE INDEX claims_status ON claims (status, statement_from);
CREATE INDEX claims_payer ON claims (payer_id, statement_from);

CREATE TABLE claim_lines (
    claim_id TEXT NOT NULL REFERENCES claims (id),
    line_number INTEGER NOT NULL CHECK (line_number >= 1),
    attendance_id TEXT NOT NULL REFERENCES attendance (id),
    service_date DATE NOT NULL,
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    revenue_code TEXT NOT NULL,
    hcpcs TEXT,
    -- JSON array of up to four modifiers.
    modifiers TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units >= 1),
    charge_cents BIGINT NOT NULL CHECK (charge_cents >= 0),
    expected_cents BIGINT,
    -- Whether this line bills its day now: false once its claim is voided or replaced, and on
    -- void claims (which cancel, not bill).
    live BOOLEAN NOT NULL,
    PRIMARY KEY (claim_id, line_number)
);

-- Never twice: at most one live line per attended day, whatever runs concurrently.
CREATE UNIQUE INDEX claim_lines_one_live_per_day ON claim_lines (attendance_id) WHERE live;

-- Every status change, with who and when.
CREATE TABLE claim_events (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL REFERENCES claims (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    user_id TEXT NOT NULL REFERENCES users (id),
    at TIMESTAMPTZ NOT NULL
);

CREATE INDEX claim_events_claim ON claim_events (claim_id, at);

-- Sequences shared by both backends: claim numbers and X12 control numbers (ISA13, GS06,
-- ST02). A row per name, bumped inside the writing transaction so a number is never reused.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Every 837 interchange produced, as sent: its control numbers are unique.
CREATE TABLE claim_files (
    id TEXT PRIMARY KEY,
    interchange_control_number BIGINT NOT NULL UNIQUE,
    -- JSON array of the claim ids in the file.
    claim_ids TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

-- Idempotency-Key: the first answer to a key is kept 24 h and returned for any retry with the
-- same body; the same key with another body is refused.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    operation TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- The request as canonical JSON (keys sorted): a retry must send the same.
    request TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, operation, idempotency_key)
);
