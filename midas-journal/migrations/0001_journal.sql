-- One row per money call: its write-ahead intent, then its outcome.
CREATE TABLE midas_journal (
    env            TEXT    NOT NULL,
    order_id       TEXT    NOT NULL,
    api            TEXT    NOT NULL,
    generation     TEXT    NOT NULL,
    openid         TEXT    NOT NULL,
    zone_id        TEXT    NOT NULL,
    amount         BIGINT,
    fields         TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    attempts       BIGINT  NOT NULL,
    answer         TEXT,
    errcode        BIGINT,
    reason         TEXT,
    created_ms     BIGINT  NOT NULL,
    updated_ms     BIGINT  NOT NULL,
    lease_owner    TEXT,
    lease_until_ms BIGINT,
    PRIMARY KEY (env, order_id)
);
CREATE INDEX midas_journal_due ON midas_journal (state, updated_ms);
