-- A token carries the account's credentials version (`cv`) from when it was issued; a password
-- change bumps it, so every token issued before the change is refused. Exact, unlike comparing
-- the token's `iat` (whole seconds) with the time of the change. Accounts start at 0, which is
-- what tokens from before this migration are read as.
ALTER TABLE users ADD COLUMN credentials_version BIGINT NOT NULL DEFAULT 0;
