-- Cost estimates given to callers: PHI (audited by the service). An estimate is a document
-- handed to a person, so it is kept exactly as answered (`result`, JSON) with what was asked.
CREATE TABLE estimates (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    verification_id TEXT REFERENCES verifications (id),
    kind TEXT NOT NULL CHECK (kind IN ('insurance', 'self_pay')),
    level_of_care TEXT NOT NULL CHECK (level_of_care IN ('IOP', 'PHP')),
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX estimates_client ON estimates (client_id, created_at);
