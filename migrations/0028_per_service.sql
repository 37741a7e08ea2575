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

-- Per-service claims (issue 17) bill each service of a day on its own line, so "never billed
-- twice" becomes two rules, both kept by the schema whatever runs concurrently:
-- 1. a service entry of an attended day is on at most one live line. `service_index` is the
--    entry's position in the day's services; NULL on a per-day line, which stands for the
--    whole day (-1 in the index, so a per-day line and a per-service line of one day clash
--    too);
ALTER TABLE claim_lines ADD COLUMN service_index INTEGER CHECK (service_index >= 0);
DROP INDEX claim_lines_one_live_per_day;
CREATE UNIQUE INDEX claim_lines_one_live_per_service
    ON claim_lines (attendance_id, (COALESCE(service_index, -1))) WHERE live;

-- 2. a day is on at most one live claim: one row per claim and day it bills, written with the
--    claim's lines and released with them.
CREATE TABLE claim_days (
    claim_id TEXT NOT NULL REFERENCES claims (id),
    attendance_id TEXT NOT NULL REFERENCES attendance (id),
    live BOOLEAN NOT NULL,
    PRIMARY KEY (claim_id, attendance_id)
);
CREATE UNIQUE INDEX claim_days_one_live_claim ON claim_days (attendance_id) WHERE live;
INSERT INTO claim_days (claim_id, attendance_id, live)
    SELECT DISTINCT claim_id, attendance_id, live FROM claim_lines;

-- What billing should know about a claim's days (`fewer_services`), JSON array.
ALTER TABLE claims ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
