-- +goose Up
-- Automatic retries of dead letters (MSISYNC_DEAD_LETTER_RETRY). retries counts the automatic
-- retries made; dead_time is when the record was first dead-lettered (Unix microseconds);
-- next_retry is when its next automatic retry is due (0: none), valid only while
-- retry_basis equals update_time: a record that leaves the dead-letter list and comes back
-- gets a new update_time, hence a new schedule.
ALTER TABLE sync_records ADD COLUMN retries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_records ADD COLUMN dead_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_records ADD COLUMN next_retry BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_records ADD COLUMN retry_basis BIGINT NOT NULL DEFAULT 0;
-- The dead letters of before count from when they expired.
UPDATE sync_records SET dead_time = expire_time WHERE state = 'dead_lettered';
-- Workers claim the dead letters whose retry is due.
CREATE INDEX sync_records_retry ON sync_records (state, next_retry);

-- +goose Down
DROP INDEX sync_records_retry;
ALTER TABLE sync_records DROP COLUMN retry_basis;
ALTER TABLE sync_records DROP COLUMN next_retry;
ALTER TABLE sync_records DROP COLUMN dead_time;
ALTER TABLE sync_records DROP COLUMN retries;
