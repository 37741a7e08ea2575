-- A running batch item is leased to the worker that claimed it, until `lease_until`; the worker
-- renews the lease while it works. Another instance on the same database (or this one after a
-- restart) settles a running item only once its lease has lapsed, so two instances never run
-- the same item and a restart still resumes what a stopped process left running.
-- Items from before this have no lease and count as lapsed.
ALTER TABLE verification_batch_items ADD COLUMN lease_owner TEXT;
ALTER TABLE verification_batch_items ADD COLUMN lease_until TIMESTAMPTZ;
