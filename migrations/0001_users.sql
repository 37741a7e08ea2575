-- Staff accounts. Conventions for every table (they keep one DDL valid on SQLite and PostgreSQL):
-- ids are TEXT (UUIDv7 from the application), timestamps TIMESTAMPTZ (SQLite stores the text),
-- enums are TEXT with a CHECK, money (later) is BIGINT cents. No SERIAL, no triggers.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- PHC string of an argon2id hash (algorithm, parameters and salt travel with it).
    password_hash TEXT NOT NULL,
    -- Deactivated users keep their row (the audit log points at it) but cannot sign in, and
    -- their unexpired tokens are refused because every request re-reads this flag.
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'admissions', 'billing')),
    PRIMARY KEY (user_id, role)
);
