-- Failed sign-ins per username, kept in the database (not in memory) so that a lock holds
-- across restarts and across several instances of the service. Keyed by the name as typed,
-- known user or not, so that throttling does not reveal which usernames exist.
CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);
