-- Acknowledgments of the 837 files perdiem sends: the TA1 (the interchange), the 999 (each
-- functional group and transaction set) and the 277CA (each claim). They move claims to
-- received, accepted or rejected. PHI (the claims' clients): every read and write is audited
-- by the service.

-- Which claims each file's functional group and transaction set carried, written when the file
-- is produced: a TA1 names our ISA13 and a 999 our GS06 and ST02, not the claims. Numbers are
-- the control numbers as written in the file (not the counters behind them).
CREATE TABLE claim_file_sets (
    file_id TEXT NOT NULL REFERENCES claim_files (id),
    claim_id TEXT NOT NULL REFERENCES claims (id),
    interchange_control_number BIGINT NOT NULL,
    group_control_number BIGINT NOT NULL,
    set_control_number BIGINT NOT NULL,
    -- 837I or 837P: one group and one set per claim form.
    functional_form TEXT NOT NULL CHECK (functional_form IN ('837I', '837P')),
    PRIMARY KEY (file_id, claim_id)
);

CREATE INDEX claim_file_sets_interchange ON claim_file_sets (interchange_control_number);
CREATE INDEX claim_file_sets_group ON claim_file_sets (group_control_number, set_control_number);

-- An acknowledgment file as received, kept whole even when it names nothing of ours.
CREATE TABLE acknowledgments (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('TA1', '999', '277CA')),
    content TEXT NOT NULL,
    -- JSON object: the file's own ISA13, what it said overall, and its counts.
    summary TEXT NOT NULL,
    received_by TEXT NOT NULL REFERENCES users (id),
    received_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX acknowledgments_received ON acknowledgments (received_at);

-- What the acknowledgment said of each claim it reached, and of each thing it named that is
-- not ours (claim_id NULL): an interchange, a group or set, or a patient control number.
CREATE TABLE acknowledgment_claims (
    id TEXT PRIMARY KEY,
    acknowledgment_id TEXT NOT NULL REFERENCES acknowledgments (id),
    position BIGINT NOT NULL,
    claim_id TEXT REFERENCES claims (id),
    -- Our CLM01 for a claim reached; the 277CA's TRN02 when it matched nothing.
    patient_control_number TEXT,
    -- What the acknowledgment named: `interchange 000000012`, `group 12 set 0012`, `claim …`.
    reference TEXT NOT NULL,
    outcome TEXT CHECK (outcome IN ('received', 'accepted', 'rejected')),
    -- The claim's status before and after (the same when the acknowledgment moved nothing).
    status_before TEXT,
    status_after TEXT,
    detail TEXT NOT NULL
);

CREATE INDEX acknowledgment_claims_ack ON acknowledgment_claims (acknowledgment_id, position);
CREATE INDEX acknowledgment_claims_claim ON acknowledgment_claims (claim_id);
