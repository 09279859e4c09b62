-- What the audit trail records of a sign-in and of an admin's action.
ALTER TABLE audit_events
    ADD COLUMN method     text NOT NULL DEFAULT '',
    ADD COLUMN result     text NOT NULL DEFAULT '',
    ADD COLUMN user_agent text NOT NULL DEFAULT '',
    ADD COLUMN actor      text NOT NULL DEFAULT '';

CREATE INDEX audit_events_by_time ON audit_events (time);
