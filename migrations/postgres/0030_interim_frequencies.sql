-- Interim bills of a long stay (issue 17): CLM05-3 / the type of bill's last digit may also be
-- '2' (interim, first claim), '3' (interim, continuing) or '4' (interim, last claim). Like '1',
-- they refer to no earlier claim; only a replacement ('7') or a void ('8') does.
-- migrations/sqlite/0030 does the same by rebuilding the table.
ALTER TABLE claims DROP CONSTRAINT claims_frequency_check;
ALTER TABLE claims ADD CONSTRAINT claims_frequency_check
    CHECK (frequency IN ('1', '2', '3', '4', '7', '8'));
-- `claims_check` is the unnamed table CHECK of 0015 tying frequency '1' to "no original".
ALTER TABLE claims DROP CONSTRAINT claims_check;
ALTER TABLE claims ADD CONSTRAINT claims_original_check
    CHECK ((frequency IN ('1', '2', '3', '4')) = (original_claim_id IS NULL));
