-- How each payer is reached for eligibility: protocol, endpoint, credentials, timeout,
-- concurrency and the service types it answers, as one JSON document (NULL until an admin sets
-- it). The credentials' secrets are in it: the API never returns them, and the database must be
-- protected like the PHI beside it (encryption of this column at rest is not done yet).
ALTER TABLE payers ADD COLUMN connection TEXT;
