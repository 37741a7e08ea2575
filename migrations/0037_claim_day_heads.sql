-- "A day is on at most one live claim" is kept on the claim lines themselves instead of in a
-- table of its own. Since 0028 every line billed also wrote a `claim_days` row (a table, its
-- primary key's index and its live index, two foreign keys checked): a second copy of each
-- per-day line, a fifth of the time a generation of 100,000 days spent storing
-- (benches/claims.rs).
--
-- Now each line says whether it heads its day on its claim: a per-day line always does; of a
-- per-service claim's lines of one day, the first does. An attended day has at most one live
-- head line (`claim_lines_one_live_claim_per_day`), so two live claims never bill one day,
-- whatever their styles and whatever runs concurrently, as `claim_days_one_live_claim` kept
-- it. A service entry is still on at most one live line (`claim_lines_one_live_per_service`,
-- now over per-service lines only: a per-day line's day is kept by the head index).
--
-- Existing lines are marked from what they are: the first line of each day on each claim is
-- its head. A day's live claim is then its live head line's claim, as claim_days said.
ALTER TABLE claim_lines ADD COLUMN day_head BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE claim_lines SET day_head = TRUE
WHERE NOT EXISTS (
    SELECT 1 FROM claim_lines o
    WHERE o.claim_id = claim_lines.claim_id
      AND o.attendance_id = claim_lines.attendance_id
      AND o.line_number < claim_lines.line_number
);
DROP INDEX claim_lines_one_live_per_service;
CREATE UNIQUE INDEX claim_lines_one_live_per_service
    ON claim_lines (attendance_id, service_index) WHERE live AND service_index IS NOT NULL;
CREATE UNIQUE INDEX claim_lines_one_live_claim_per_day
    ON claim_lines (attendance_id) WHERE live AND day_head;
DROP TABLE claim_days;
