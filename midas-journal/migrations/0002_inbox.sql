-- One row per pushed event: claimed while its handler runs, then done with the answer every
-- repeat of the push gets.
CREATE TABLE midas_inbox (
    event_key      TEXT    NOT NULL PRIMARY KEY,
    state          TEXT    NOT NULL,
    answer         TEXT,
    lease_owner    TEXT,
    lease_until_ms BIGINT,
    created_ms     BIGINT  NOT NULL,
    updated_ms     BIGINT  NOT NULL
);
