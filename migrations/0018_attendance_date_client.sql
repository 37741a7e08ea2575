-- Claim generation starts from the clients attending in a date range: with the client in the
-- index the range is read from the index alone. It replaces the date-only index.
CREATE INDEX attendance_date_client ON attendance (service_date, client_id);
DROP INDEX attendance_service_date;
