-- The service catalog (the clinic's charge master): how each service of a program day is coded
-- on a per-service claim line (issue 17) and what it is charged. Clinic terms, not PHI (no
-- audit).
--
-- One code may have several entries whose periods never share a day (a charge changed
-- mid-month is a new entry from that day); a CHECK cannot say that portably, so the service
-- checks it with writers of the catalog taking turns (see routes/service_codes).
CREATE TABLE service_codes (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    revenue_code TEXT NOT NULL,
    hcpcs TEXT NOT NULL,
    -- JSON array of up to four modifiers.
    modifiers TEXT NOT NULL,
    -- The charge of one unit, integer cents.
    charge_cents BIGINT NOT NULL CHECK (charge_cents > 0 AND charge_cents <= 9999999999),
    counts_toward_day BOOLEAN NOT NULL,
    effective_from DATE NOT NULL,
    -- NULL: in force until further notice.
    effective_to DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);

CREATE INDEX service_codes_code ON service_codes (code, effective_from);
