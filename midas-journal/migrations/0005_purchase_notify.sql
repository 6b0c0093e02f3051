-- A purchase the reconciler delivered after query_order showed it paid: WeChat still has to be
-- told with notify_provide_goods. 1 until a notify went through, so a failed one is sent again.
ALTER TABLE midas_purchase ADD COLUMN notify_pending BIGINT NOT NULL DEFAULT 0;
