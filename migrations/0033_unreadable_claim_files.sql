-- Stored 837 files written before their sets were kept (migration 0026) are read back once,
-- when an acknowledgment names an interchange, group or set no row holds. A file that does not
-- read back (it always should: perdiem wrote it) is noted here, so that later acknowledgments
-- do not read it again; `attempts` counts the reads that failed.
CREATE TABLE unreadable_claim_files (
    file_id TEXT PRIMARY KEY REFERENCES claim_files (id),
    failure TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    noted_at TIMESTAMPTZ NOT NULL
);
