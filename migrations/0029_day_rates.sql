-- Day rates: what a payer that pays a PHP or IOP day by the number of its services (Medicare's
-- APCs and payers that follow them, domain reference §4.3) pays for a day with 3 services and
-- for a day with 4 or more. Claims of per-service payers take their expected amount from these;
-- the cost estimate takes its low and high allowed amount per day. Contract terms, not PHI (no
-- audit).
--
-- Amounts are integer cents (the house money rule); the API shows them as decimal strings.
-- Periods of one payer, level of care and service tier must not share a day; a CHECK cannot say
-- that portably, so the service checks it with the payer row locked (see routes/day_rates), as
-- for fee schedules.
CREATE TABLE day_rates (
    id TEXT PRIMARY KEY,
    payer_id TEXT NOT NULL REFERENCES payers (id),
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    -- '3': a day paid with 3 services (the minimum up to 3); '4+': 4 services or more.
    services TEXT NOT NULL CHECK (services IN ('3', '4+')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 9999999999),
    effective_from DATE NOT NULL,
    -- NULL: in force until further notice.
    effective_to DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);

-- The overlap check and the lookup read one payer's rates at a level and tier.
CREATE INDEX day_rates_payer_level_services
    ON day_rates (payer_id, level_of_care, services, effective_from);
