-- Episodes of care: a client's admission to discharge, with what a claim needs besides
-- attendance (admission date, patient status, diagnoses, the level-of-care steps). PHI: every
-- read and write is audited by the service.
--
-- Episodes of one client must not share a day (an open discharge runs on); a CHECK cannot say
-- that portably, so the service checks it with the client row locked (see routes/episodes).
-- Diagnoses are stored in canonical form (upper case, dot after the third character).
CREATE TABLE episodes (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    admission_date DATE NOT NULL,
    -- NULL: still in care.
    discharge_date DATE,
    -- UB-04 patient status (FL17, 837I CL103), two digits.
    discharge_status TEXT,
    principal_diagnosis TEXT NOT NULL,
    -- JSON array of up to eleven ICD-10-CM codes.
    other_diagnoses TEXT NOT NULL,
    -- JSON array of {level_of_care, from, to} in date order.
    level_of_care_history TEXT NOT NULL,
    referral_source TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (discharge_date IS NULL OR discharge_date >= admission_date)
);

-- Lists, the overlap check and the lookup read one client's episodes.
CREATE INDEX episodes_client_id ON episodes (client_id, admission_date);
