-- The claim an attended day is billed on is read from its live claim line
-- (claim_lines_one_live_per_day), the one place that says it: a copy on attendance had to be
-- kept in step on every generation, void and replacement.
ALTER TABLE attendance DROP COLUMN claim_id;
