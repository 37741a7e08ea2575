-- A client's plan memberships, as read off the insurance card.
CREATE TABLE coverages (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    payer_id TEXT NOT NULL REFERENCES payers (id),
    member_id TEXT NOT NULL,
    group_number TEXT,
    plan_name TEXT,
    relationship TEXT NOT NULL CHECK (relationship IN ('self', 'spouse', 'child', 'other')),
    -- The policy holder, when not the client (relationship <> 'self').
    subscriber_first_name TEXT,
    subscriber_last_name TEXT,
    subscriber_date_of_birth DATE,
    subscriber_sex TEXT CHECK (subscriber_sex IN ('F', 'M', 'U')),
    priority TEXT NOT NULL CHECK (priority IN ('primary', 'secondary', 'tertiary')),
    effective_date DATE,
    end_date DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (end_date IS NULL OR effective_date IS NULL OR end_date >= effective_date),
    CHECK ((relationship = 'self') = (subscriber_last_name IS NULL))
);

CREATE INDEX coverages_client_id ON coverages (client_id);
