-- HIPAA access audit (45 CFR 164.312(b)): who touched which record, when, from where.
-- Append-only: the service has no statement that updates or deletes these rows.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    -- NULL for events without a signed-in user (a failed sign-in).
    user_id TEXT,
    action TEXT NOT NULL CHECK (action IN ('read', 'create', 'update', 'export', 'login', 'login_failed')),
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    ip TEXT,
    request_id TEXT NOT NULL
);

CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_entity_id ON audit_events (entity_id);
CREATE INDEX audit_events_user_id ON audit_events (user_id);
