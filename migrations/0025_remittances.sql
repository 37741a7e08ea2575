-- Remittances (X12 835): what payers paid, adjusted and left to the patient, posted to the
-- claims and lines perdiem sent. Amounts are integer cents and may be negative (a reversal,
-- CLP02 22, repeats the earlier posting's amounts with their signs turned). PHI (the claims'
-- clients): every read and write is audited by the service.

-- An 835 file as received, kept whole even when nothing in it posts.
CREATE TABLE remittance_files (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    interchange_control_number TEXT NOT NULL,
    received_by TEXT NOT NULL REFERENCES users (id),
    received_at TIMESTAMPTZ NOT NULL
);

-- One transaction set: one payment (a check or an EFT) from one payer to the clinic.
CREATE TABLE remittances (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES remittance_files (id),
    -- ST02, and where the set starts in the file (1 = first segment), for staff to find it.
    set_control_number TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    -- TRN03 (the payer's originating company id) and TRN02 (the check or EFT trace number):
    -- together they name the payment, so a set posts once.
    payer_identifier TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    payment_cents BIGINT NOT NULL,
    -- BPR03 C (credit) or D (debit); BPR04 ACH, CHK, NON, FWT, BOP.
    credit_debit TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    payment_date DATE,
    payee_name TEXT NOT NULL,
    payee_id TEXT,
    -- posted: its money is on the claims. unbalanced: kept, flagged, nothing posted (a
    -- corrected copy may follow). duplicate: the same payment was posted before.
    status TEXT NOT NULL CHECK (status IN ('posted', 'unbalanced', 'duplicate')),
    -- JSON array of {place, expected, actual, difference} (amounts as decimal strings).
    imbalances TEXT NOT NULL,
    duplicate_of TEXT REFERENCES remittances (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX remittances_post_once ON remittances (payer_identifier, trace_number)
    WHERE status = 'posted';
CREATE INDEX remittances_received ON remittances (created_at);

-- One CLP: a claim's adjudication. claim_id is NULL when CLP01 names no claim of ours.
CREATE TABLE remittance_claims (
    id TEXT PRIMARY KEY,
    remittance_id TEXT NOT NULL REFERENCES remittances (id),
    position BIGINT NOT NULL,
    claim_id TEXT REFERENCES claims (id),
    patient_control_number TEXT NOT NULL,
    status_code TEXT NOT NULL,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    patient_responsibility_cents BIGINT,
    payer_claim_number TEXT,
    -- NM1*TT: the payer the claim was forwarded to (CLP02 19, 20, 21).
    crossover_name TEXT,
    crossover_id TEXT,
    -- The claim's status before and after this posting (NULL when it did not move).
    status_before TEXT,
    status_after TEXT
);

CREATE INDEX remittance_claims_remittance ON remittance_claims (remittance_id, position);
CREATE INDEX remittance_claims_claim ON remittance_claims (claim_id);

-- One SVC: a line's adjudication. (claim_id, line_number) is our line when matched.
CREATE TABLE remittance_lines (
    id TEXT PRIMARY KEY,
    remittance_claim_id TEXT NOT NULL REFERENCES remittance_claims (id),
    position BIGINT NOT NULL,
    claim_id TEXT,
    line_number BIGINT,
    -- SVC01 as sent back (`HC:S9480:HQ`, `NU:0905`), SVC04, and SVC06 (the code we sent,
    -- when the payer paid another).
    procedure TEXT NOT NULL,
    revenue_code TEXT,
    submitted_procedure TEXT,
    service_date DATE,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    -- AMT*B6, the payer's allowed amount.
    allowed_cents BIGINT,
    units TEXT,
    line_control_number TEXT,
    -- JSON array of remark codes (LQ*HE).
    remark_codes TEXT NOT NULL,
    FOREIGN KEY (claim_id, line_number) REFERENCES claim_lines (claim_id, line_number)
);

CREATE INDEX remittance_lines_claim ON remittance_lines (remittance_claim_id, position);
CREATE INDEX remittance_lines_line ON remittance_lines (claim_id, line_number);

-- CAS: one adjustment of a claim (remittance_line_id NULL) or of a line, in file order within
-- its claim (position). No key of its own: nothing refers to one adjustment, and a large
-- remittance has a hundred thousand of them.
CREATE TABLE remittance_adjustments (
    remittance_claim_id TEXT NOT NULL REFERENCES remittance_claims (id),
    position BIGINT NOT NULL,
    remittance_line_id TEXT REFERENCES remittance_lines (id),
    -- CO contractual, OA other, PI payer initiated, PR patient responsibility.
    group_code TEXT NOT NULL CHECK (group_code IN ('CO', 'OA', 'PI', 'PR')),
    reason_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    quantity TEXT
);

CREATE INDEX remittance_adjustments_claim
    ON remittance_adjustments (remittance_claim_id, position);

-- PLB: an adjustment to the payment not tied to a claim (positive reduces the payment).
CREATE TABLE provider_adjustments (
    remittance_id TEXT NOT NULL REFERENCES remittances (id),
    position BIGINT NOT NULL,
    provider_id TEXT NOT NULL,
    fiscal_period_date DATE,
    reason_code TEXT NOT NULL,
    reference TEXT,
    amount_cents BIGINT NOT NULL
);

CREATE INDEX provider_adjustments_remittance ON provider_adjustments (remittance_id, position);
