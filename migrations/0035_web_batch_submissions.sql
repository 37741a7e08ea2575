-- The staff web app's one-time submission keys of the "tomorrow's assessments" form (issue 14).
-- The form carries a random key rendered with it; the post that starts a batch stores the key
-- here in the batch's own transaction, so a second post of the same form (a double click, a
-- reload of the answer) finds the first batch instead of starting another. The primary key
-- decides the race: the first writer's row stands, the other reads it and rolls its own work
-- back. Only the key's SHA-256 is kept, with the session's token hash it was shown to, the
-- batch and the time: nothing of the list itself (no PHI). Rows older than any session can live
-- are swept in the background (a key outlives its session's CSRF token for nothing).
CREATE TABLE web_batch_submissions (
    session_hash TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    batch_id TEXT NOT NULL REFERENCES verification_batches (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_hash, key_hash)
);

CREATE INDEX web_batch_submissions_created_at ON web_batch_submissions (created_at);
