-- Posting a large 835 (issue 16: 10,000 claims, 50,000 lines, about 110,000 CAS) spent most of
-- its time storing rows: three random-UUID keyed tables, five indexes and a row per CAS. The
-- same facts are kept in fewer rows and index entries:
-- - a remittance's claims are keyed by (remittance, position in the set) and their lines by
--   (remittance, claim position, line position), WITHOUT ROWID: nothing outside a remittance
--   refers to one of its claims or lines, so they need no key of their own, and the rows of one
--   posting go in as one ordered run;
-- - the CAS adjustments of a claim (claim level) or of a line are kept on that row as a JSON
--   array of [group, reason, amount in integer cents, quantity or null] in file order, instead
--   of a row each. Readers (claim payments, client balance, the reports, GET remittance) read
--   the array; amounts stay exact integer cents.
-- The rows come across whole; remittance_adjustments is dropped. The PostgreSQL file is the
-- same but for WITHOUT ROWID and its JSON functions.
CREATE TABLE remittance_claims_0036 (
    remittance_id TEXT NOT NULL REFERENCES remittances (id),
    position BIGINT NOT NULL,
    claim_id TEXT REFERENCES claims (id),
    patient_control_number TEXT NOT NULL,
    status_code TEXT NOT NULL,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    patient_responsibility_cents BIGINT,
    payer_claim_number TEXT,
    crossover_name TEXT,
    crossover_id TEXT,
    status_before TEXT,
    status_after TEXT,
    -- Claim-level CAS: JSON array of [group, reason, cents, quantity].
    adjustments TEXT NOT NULL,
    PRIMARY KEY (remittance_id, position)
) WITHOUT ROWID;

INSERT INTO remittance_claims_0036
SELECT c.remittance_id, c.position, c.claim_id, c.patient_control_number, c.status_code,
    c.charge_cents, c.paid_cents, c.patient_responsibility_cents, c.payer_claim_number,
    c.crossover_name, c.crossover_id, c.status_before, c.status_after,
    COALESCE((SELECT json_group_array(json_array(a.group_code, a.reason_code, a.amount_cents,
                  a.quantity) ORDER BY a.position)
              FROM remittance_adjustments a
              WHERE a.remittance_claim_id = c.id AND a.remittance_line_id IS NULL), '[]')
FROM remittance_claims c;

-- The lines with their claim's key and their adjustments, until the new table exists (its
-- foreign key names the new claims table by its final name).
CREATE TEMP TABLE remittance_lines_0036 AS
SELECT c.remittance_id, c.position AS claim_position, l.position, l.claim_id, l.line_number,
    l.procedure, l.revenue_code, l.submitted_procedure, l.service_date, l.charge_cents,
    l.paid_cents, l.allowed_cents, l.units, l.line_control_number, l.remark_codes,
    COALESCE((SELECT json_group_array(json_array(a.group_code, a.reason_code, a.amount_cents,
                  a.quantity) ORDER BY a.position)
              FROM remittance_adjustments a WHERE a.remittance_line_id = l.id), '[]')
        AS adjustments
FROM remittance_lines l JOIN remittance_claims c ON c.id = l.remittance_claim_id;

DROP INDEX remittance_adjustments_claim;
DROP TABLE remittance_adjustments;
DROP INDEX remittance_lines_claim;
DROP INDEX remittance_lines_line;
DROP TABLE remittance_lines;
DROP INDEX remittance_claims_remittance;
DROP INDEX remittance_claims_claim;
DROP TABLE remittance_claims;
ALTER TABLE remittance_claims_0036 RENAME TO remittance_claims;

CREATE TABLE remittance_lines (
    remittance_id TEXT NOT NULL,
    claim_position BIGINT NOT NULL,
    position BIGINT NOT NULL,
    claim_id TEXT,
    line_number BIGINT,
    procedure TEXT NOT NULL,
    revenue_code TEXT,
    submitted_procedure TEXT,
    service_date DATE,
    charge_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    allowed_cents BIGINT,
    units TEXT,
    line_control_number TEXT,
    remark_codes TEXT NOT NULL,
    -- Line-level CAS: JSON array of [group, reason, cents, quantity].
    adjustments TEXT NOT NULL,
    PRIMARY KEY (remittance_id, claim_position, position),
    FOREIGN KEY (remittance_id, claim_position)
        REFERENCES remittance_claims (remittance_id, position),
    FOREIGN KEY (claim_id, line_number) REFERENCES claim_lines (claim_id, line_number)
) WITHOUT ROWID;

INSERT INTO remittance_lines SELECT * FROM remittance_lines_0036;
DROP TABLE remittance_lines_0036;

-- A claim's payments and a client's balance start from the claim; the reports and a claim
-- line's deletion from the line.
CREATE INDEX remittance_claims_claim ON remittance_claims (claim_id);
CREATE INDEX remittance_lines_line ON remittance_lines (claim_id, line_number);
