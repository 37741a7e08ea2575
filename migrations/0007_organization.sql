-- The clinic: one row. It is the information receiver (2100B) on every eligibility inquiry and
-- the billing provider on claims.
CREATE TABLE organization (
    id TEXT PRIMARY KEY CHECK (id = 'clinic'),
    legal_name TEXT NOT NULL,
    npi TEXT NOT NULL,
    tax_id TEXT NOT NULL,
    taxonomy_code TEXT NOT NULL,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT,
    address_city TEXT NOT NULL,
    address_state TEXT NOT NULL,
    address_postal_code TEXT NOT NULL,
    phone TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
