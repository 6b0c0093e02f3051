-- One row per cash purchase a service launched: awaiting payment until its delivery (by the
-- delivery push, or by the reconciler after query_order) is recorded, exactly once.
CREATE TABLE midas_purchase (
    env            TEXT    NOT NULL,
    out_trade_no   TEXT    NOT NULL,
    openid         TEXT    NOT NULL,
    zone_id        TEXT    NOT NULL,
    launch_api     TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    product_id     TEXT,
    quantity       BIGINT  NOT NULL,
    total_fee      BIGINT,
    attach         TEXT    NOT NULL,
    sign_data      TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    delivered_by   TEXT,
    wx_order_id    TEXT,
    reason         TEXT,
    created_ms     BIGINT  NOT NULL,
    updated_ms     BIGINT  NOT NULL,
    lease_owner    TEXT,
    lease_until_ms BIGINT,
    PRIMARY KEY (env, out_trade_no)
);
CREATE INDEX midas_purchase_due ON midas_purchase (state, updated_ms);
