-- Persist-then-ack pushes: an event stored before its handler ran keeps its exact message and
-- its envelope (format, encryption, family, timestamp, nonce) until a worker has handled it,
-- with the attempts begun, the time of the next try and the last failure.
ALTER TABLE midas_inbox ADD COLUMN message TEXT;
ALTER TABLE midas_inbox ADD COLUMN envelope TEXT;
ALTER TABLE midas_inbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE midas_inbox ADD COLUMN next_try_ms BIGINT;
ALTER TABLE midas_inbox ADD COLUMN last_error TEXT;
CREATE INDEX midas_inbox_due ON midas_inbox (state, next_try_ms);
