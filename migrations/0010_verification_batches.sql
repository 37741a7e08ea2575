-- Verification batches: many verifications asked at once and worked in the background. Items
-- are claimed one at a time (pending -> running -> done), each with the id of its verification
-- fixed before the payer is called, so a restart resumes without losing or repeating an item.
CREATE TABLE verification_batches (
    id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL REFERENCES users (id),
    total BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);

CREATE TABLE verification_batch_items (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES verification_batches (id),
    seq BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    coverage_id TEXT NOT NULL,
    levels_of_care TEXT NOT NULL,
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    service_date DATE NOT NULL,
    force BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    -- Set when the item is claimed, before the payer is called.
    verification_id TEXT,
    -- Why an item could not be verified at all (e.g. its coverage was not found).
    error TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (batch_id, seq)
);

CREATE INDEX verification_batch_items_status ON verification_batch_items (status, batch_id, seq);
