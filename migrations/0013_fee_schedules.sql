-- Fee schedules: what the clinic bills a payer per day of IOP or PHP in a program, and how the
-- day is coded on the claim. Contract terms, not PHI (no audit).
--
-- Amounts are integer cents (the house money rule); the API shows them as decimal strings.
-- Periods of one payer, level of care and program must not share a day; a CHECK cannot say
-- that portably, so the service checks it with the payer row locked (see routes/fee_schedules).
CREATE TABLE fee_schedules (
    id TEXT PRIMARY KEY,
    payer_id TEXT NOT NULL REFERENCES payers (id),
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    revenue_code TEXT NOT NULL,
    hcpcs TEXT,
    -- JSON array of up to four modifiers.
    modifiers TEXT NOT NULL,
    charge_per_day_cents BIGINT NOT NULL
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

-- The overlap check and the lookup read one payer's schedules at a level and program.
CREATE INDEX fee_schedules_payer_level_program
    ON fee_schedules (payer_id, level_of_care, program, effective_from);
