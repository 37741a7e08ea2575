-- A fee schedule may state no charge per day (issue 17): a per-service payer's claims price
-- each service from the service catalog, so its schedule's per-day charge is never read; a
-- per-day payer's day under a schedule without one is left out of generation
-- (`no_charge_per_day`), never billed at 0.00. A stated charge is still above 0.
--
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt, as 0024 and 0030 did; the
-- columns are 0013's, in order. No table refers to `fee_schedules` (remittance reports join
-- it, no foreign key points at it), so dropping it orphans nothing; foreign keys are deferred
-- all the same, so the commit checks that every schedule's payer still exists.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE fee_schedules_before_0034 AS SELECT * FROM fee_schedules;
DROP INDEX fee_schedules_payer_level_program;
DROP TABLE fee_schedules;
CREATE TABLE fee_schedules (
    id TEXT PRIMARY KEY,
    payer_id TEXT NOT NULL REFERENCES payers (id),
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    revenue_code TEXT NOT NULL,
    hcpcs TEXT,
    -- JSON array of up to four modifiers.
    modifiers TEXT NOT NULL,
    -- NULL: the schedule states no charge per day (see above).
    charge_per_day_cents BIGINT
        CHECK (charge_per_day_cents > 0 AND charge_per_day_cents <= 9999999999),
    allowed_per_day_cents BIGINT
        CHECK (allowed_per_day_cents >= 0 AND allowed_per_day_cents <= 9999999999),
    effective_from DATE NOT NULL,
    -- NULL: in force until further notice.
    effective_to DATE,
    claim_form TEXT NOT NULL CHECK (claim_form IN ('837I', '837P')),
    -- 837P only.
    place_of_service TEXT,
    -- 837I only, four digits.
    type_of_bill TEXT,
    -- JSON array of NUBC condition codes (837I only; '[]' for 837P).
    condition_codes TEXT NOT NULL,
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (effective_to IS NULL OR effective_to >= effective_from),
    CHECK ((claim_form = '837P') = (place_of_service IS NOT NULL)),
    CHECK ((claim_form = '837I') = (type_of_bill IS NOT NULL))
);
INSERT INTO fee_schedules SELECT * FROM fee_schedules_before_0034;
DROP TABLE fee_schedules_before_0034;
CREATE INDEX fee_schedules_payer_level_program
    ON fee_schedules (payer_id, level_of_care, program, effective_from);
