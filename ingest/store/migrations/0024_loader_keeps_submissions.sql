-- The loader may not delete a received submission (migration 0005 granted it DELETE on every
-- audit table). No code path deletes one: every received file stays in the audit trail, whatever
-- became of it. Since migration 0023 the raw rows' link to their submission is checked once per
-- statement, without the row lock a foreign key took on the submission; with DELETE revoked, no
-- loader session can remove a submission while another is writing its rows.
REVOKE DELETE, TRUNCATE ON audit.submission FROM ntm_loader;
