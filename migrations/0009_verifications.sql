-- Benefits verifications: one row per request staff make (and per automatic carve-out
-- follow-up), written as `in_progress` before any payer is called so that no attempt can be
-- lost, then completed with its outcome.
CREATE TABLE verifications (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    coverage_id TEXT NOT NULL REFERENCES coverages (id),
    payer_id TEXT NOT NULL REFERENCES payers (id),
    -- The verification whose carve-out led to this one.
    parent_id TEXT REFERENCES verifications (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    -- Comma-separated, sorted: 'IOP', 'PHP' or 'IOP,PHP'.
    levels_of_care TEXT NOT NULL,
    service_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'verified', 'inactive', 'rejected', 'payer_error')),
    rejection_code TEXT,
    rejection_description TEXT,
    follow_up TEXT,
    error_kind TEXT,
    error_detail TEXT,
    -- JSON: the per-level benefit summaries (what the API returns), and warnings.
    summary TEXT,
    warnings TEXT,
    carve_out_verification_id TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);

CREATE INDEX verifications_client_id ON verifications (client_id);
CREATE INDEX verifications_coverage_id ON verifications (coverage_id, started_at);

-- Every HTTP exchange with a payer, retries included: what was sent, what came back, or why
-- nothing did.
CREATE TABLE verification_exchanges (
    id TEXT PRIMARY KEY,
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    seq BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    protocol TEXT NOT NULL CHECK (protocol IN ('x12', 'json', 'fhir')),
    service_types TEXT NOT NULL,
    request TEXT NOT NULL,
    http_status BIGINT,
    response TEXT,
    error_kind TEXT,
    error_detail TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    duration_ms BIGINT NOT NULL,
    UNIQUE (verification_id, seq, attempt)
);

-- Counters for control numbers that must not repeat (ISA13/GS06 of outbound interchanges).
CREATE TABLE control_numbers (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
