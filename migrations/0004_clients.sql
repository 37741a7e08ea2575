-- Clients: PHI. Every read and write of these rows is written to audit_events by the service.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M', 'U')),
    -- The address is all or nothing: the application writes line1, city, state and ZIP together.
    address_line1 TEXT,
    address_line2 TEXT,
    address_city TEXT,
    address_state TEXT,
    address_postal_code TEXT,
    phone TEXT,
    email TEXT,
    -- The record number in the clinic's EHR. UNIQUE allows many NULLs on both backends.
    external_id TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Name search is a case-insensitive prefix match on lower(name); expression indexes serve it on both.
CREATE INDEX clients_last_name_lower ON clients (lower(last_name));
CREATE INDEX clients_first_name_lower ON clients (lower(first_name));
CREATE INDEX clients_date_of_birth ON clients (date_of_birth);
