-- Payers the clinic verifies benefits with and bills. Connection settings (protocol, endpoint,
-- credentials) arrive with benefits verification in a later migration.
CREATE TABLE payers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The EDI payer id (2100A NM109, qualifier PI); one record per id.
    payer_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
