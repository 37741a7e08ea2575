-- The claim lifecycle gains what acknowledgments and remittances say (issue 16): `received`
-- (a clearinghouse or payer has it, not yet accepted), `partially_paid` and `forwarded` (paid,
-- and passed on to another payer). migrations/sqlite/0024 does the same by rebuilding the table.
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims ADD CONSTRAINT claims_status_check CHECK (status IN ('draft', 'ready',
    'submitted', 'received', 'accepted', 'rejected', 'paid', 'partially_paid', 'denied',
    'forwarded', 'void', 'replaced'));
