-- Daily attendance from the program's sign-in sheets or the EHR: one record per client and
-- day. The UNIQUE key also makes IOP and PHP on the same day impossible (they are mutually
-- exclusive per date of service).
CREATE TABLE attendance (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    service_date DATE NOT NULL,
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    minutes INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    -- 'HH:MM' when the source gave times rather than minutes.
    start_time TEXT,
    end_time TEXT,
    -- JSON array of the services delivered that day (group, individual, …).
    services TEXT NOT NULL,
    source TEXT,
    -- The claim this day is billed on; a day on a claim is frozen. (The claims table arrives
    -- with claim generation; until then the column is written only by fixtures.)
    claim_id TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (client_id, service_date)
);

CREATE INDEX attendance_service_date ON attendance (service_date);

-- Per-payer billing rules (JSON: minimum minutes per level of care, whether the payer requires
-- prior authorization); NULL keeps the configured defaults.
ALTER TABLE payers ADD COLUMN billing TEXT;
