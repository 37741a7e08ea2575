-- Prior authorizations: a payer's approval of days at one level of care over a date range, and
-- the concurrent reviews that extend it. PHI: every read and write is audited by the service.
--
-- The payer's initial decision stays in `authorizations` as entered (it may be corrected only
-- while the status is 'pending'); each concurrent review is a row of its own in
-- `authorization_extensions`, never updated and never deleted. The current figures are not
-- stored: days = days_approved + the sum of days_added, end = the latest new_end_date (or
-- end_date). Derived on read, history and current figures cannot disagree.

-- The coverage of an authorization must be the client's own. A composite key says so in the
-- schema too; the service checks it first to answer with a 422 naming coverage_id.
CREATE UNIQUE INDEX coverages_id_client_id ON coverages (id, client_id);

CREATE TABLE authorizations (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    coverage_id TEXT NOT NULL,
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    program TEXT NOT NULL CHECK (program IN ('mental_health', 'substance_use')),
    -- The payer's reference; claims carry it in 2300 REF*G1.
    authorization_number TEXT NOT NULL,
    start_date DATE NOT NULL,
    -- The initial decision.
    end_date DATE NOT NULL,
    days_approved BIGINT NOT NULL CHECK (days_approved >= 0),
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'approved', 'partially_approved', 'denied', 'expired')),
    next_review_date DATE,
    care_manager_name TEXT,
    care_manager_phone TEXT,
    notes TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (end_date >= start_date),
    FOREIGN KEY (coverage_id, client_id) REFERENCES coverages (id, client_id)
);

CREATE INDEX authorizations_client_id ON authorizations (client_id, start_date);
-- The overlap check reads a coverage's authorizations at one level of care.
CREATE INDEX authorizations_coverage_level ON authorizations (coverage_id, level_of_care);

CREATE TABLE authorization_extensions (
    id TEXT PRIMARY KEY,
    authorization_id TEXT NOT NULL REFERENCES authorizations (id),
    -- The day the payer decided the review.
    effective_date DATE NOT NULL,
    -- The payer's number for the review, when it gave one.
    reference TEXT,
    days_added BIGINT NOT NULL CHECK (days_added >= 0),
    -- Not before the end date in force when recorded (checked by the service, which knows it).
    new_end_date DATE,
    notes TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (days_added > 0 OR new_end_date IS NOT NULL)
);

-- Extensions are read per authorization, in the order recorded.
CREATE INDEX authorization_extensions_authorization_id
    ON authorization_extensions (authorization_id, created_at);
