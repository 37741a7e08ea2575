-- A fee schedule may state no charge per day (issue 17): a per-service payer's claims price
-- each service from the service catalog, so its schedule's per-day charge is never read; a
-- per-day payer's day under a schedule without one is left out of generation
-- (`no_charge_per_day`), never billed at 0.00. The CHECK of 0013 stays: a stated charge is
-- still above 0 (a CHECK passes on NULL). migrations/sqlite/0034 does the same by rebuilding
-- the table.
ALTER TABLE fee_schedules ALTER COLUMN charge_per_day_cents DROP NOT NULL;
