-- The staff web app's sign-in sessions, kept on the server so that signing out, deactivation
-- and a password change end them. The cookie carries a random token; only its SHA-256 is kept,
-- so a copy of this table signs nobody in. The CSRF token of the session's forms lives beside
-- it. Idle expiry is counted from last_seen_at (refreshed at most once a minute); expires_at is
-- the absolute end, whatever the activity.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- The account's credentials version at sign-in: a password change ends the session.
    credentials_version BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
