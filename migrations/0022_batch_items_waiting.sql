-- A batch item whose payer's circuit is open waits (`waiting`) instead of being stored as a
-- failed verification: it is asked once the circuit closes, or fails with the reason once it
-- has waited `verification.batch_wait_seconds`. `waiting_since` is when it first started
-- waiting; it is kept when the item resumes, so the deadline counts from the first wait.
--
-- The status CHECK must allow the new value. SQLite cannot alter a CHECK constraint, and
-- PostgreSQL names it differently, so the table is rebuilt with the same DDL on both: a new
-- table, the rows copied, the old one dropped and the new one renamed. Nothing references
-- this table, so no foreign key has to follow it.
CREATE TABLE verification_batch_items_rebuilt (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES verification_batches (id),
    seq BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    coverage_id TEXT NOT NULL,
    levels_of_care TEXT NOT NULL,
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    service_date DATE NOT NULL,
    force BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'done', 'failed')),
    verification_id TEXT,
    error TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    waiting_since TIMESTAMPTZ,
    UNIQUE (batch_id, seq),
    -- A waiting item is leased to nobody: no worker runs it, and recovery leaves it alone.
    CHECK (status <> 'waiting' OR (lease_owner IS NULL AND waiting_since IS NOT NULL))
);

INSERT INTO verification_batch_items_rebuilt (id, batch_id, seq, client_id, coverage_id,
    levels_of_care, program, service_date, force, status, verification_id, error, updated_at,
    lease_owner, lease_until)
SELECT id, batch_id, seq, client_id, coverage_id, levels_of_care, program, service_date, force,
    status, verification_id, error, updated_at, lease_owner, lease_until
FROM verification_batch_items;

DROP TABLE verification_batch_items;
ALTER TABLE verification_batch_items_rebuilt RENAME TO verification_batch_items;

CREATE INDEX verification_batch_items_status ON verification_batch_items (status, batch_id, seq);
