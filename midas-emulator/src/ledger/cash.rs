//! Cash orders: purchases a player paid for with money (xpay goods and token recharges), and
//! the refund tasks of `refund_order`. Kept apart from the coin wallets: a cash order moves no
//! coins. Every amount is in fen, with checked arithmetic.

use std::collections::HashMap;

use midas_core::Env;

use super::contract::{Bought, CashOrderView, RefundAsk, RefundStarted, Refusal};

/// A verified payment, ready for the books.
#[derive(Clone, Debug)]
pub(crate) struct Payment {
    pub(crate) env: Env,
    pub(crate) out_trade_no: String,
    pub(crate) openid: String,
    pub(crate) bought: Bought,
    pub(crate) attach: String,
    /// What the player paid, in fen.
    pub(crate) paid_fee: i64,
    pub(crate) now: u64,
}

/// Where a cash order stands (`query_order.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CashStatus {
    Paid,
    Delivered,
    Refunded,
}

impl CashStatus {
    pub(crate) const fn code(self) -> i64 {
        match self {
            Self::Paid => 2,
            Self::Delivered => 4,
            Self::Refunded => 5,
        }
    }
}

#[derive(Clone, Debug)]
struct CashOrder {
    payment: Payment,
    wx_order_id: String,
    status: CashStatus,
    /// Refunded by finished refund tasks.
    refunded: i64,
    provide_time: u64,
    update_time: u64,
    seq: u64,
}

/// A refund task that just finished: what its `xpay_refund_notify` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefundFinished {
    pub(crate) env: Env,
    pub(crate) openid: String,
    pub(crate) started: RefundStarted,
    pub(crate) refund_fee: i64,
    pub(crate) started_at: u64,
    pub(crate) finished_at: u64,
}

#[derive(Clone, Debug)]
struct RefundTask {
    env: Env,
    ask: RefundAsk,
    started: RefundStarted,
    done: bool,
    created: u64,
    updated: u64,
    seq: u64,
}

/// The cash orders and refund tasks of both environments.
#[derive(Debug, Default)]
pub(crate) struct CashBook {
    orders: HashMap<(Env, String), CashOrder>,
    by_wx_order_id: HashMap<(Env, String), String>,
    refunds: HashMap<(Env, String), RefundTask>,
    next: u64,
}

impl CashBook {
    /// Books a verified payment as a paid order (status 2) with a new WeChat order id; an
    /// `out_trade_no` used before (by a cash order or a refund) is refused.
    pub(crate) fn pay(&mut self, payment: Payment) -> Result<CashOrderView, Refusal> {
        let key = (payment.env, payment.out_trade_no.clone());
        if self.orders.contains_key(&key) || self.refunds.contains_key(&key) {
            return Err(Refusal::BillNoTaken);
        }
        self.next += 1;
        let wx_order_id = format!("emu-vpo-{}-{:08}", payment.env, self.next);
        self.by_wx_order_id.insert((payment.env, wx_order_id.clone()), payment.out_trade_no.clone());
        let now = payment.now;
        let order = CashOrder {
            payment,
            wx_order_id,
            status: CashStatus::Paid,
            refunded: 0,
            provide_time: 0,
            update_time: now,
            seq: self.next,
        };
        let view = view(&order);
        self.orders.insert(key, order);
        Ok(view)
    }

    /// Whether `order_id` names a cash order or a refund task in `env`.
    pub(crate) fn knows(&self, env: Env, order_id: &str) -> bool {
        let key = (env, order_id.to_owned());
        self.orders.contains_key(&key) || self.refunds.contains_key(&key)
    }

    /// The game's order id of a WeChat order id.
    pub(crate) fn order_id_of(&self, env: Env, wx_order_id: &str) -> Option<String> {
        self.by_wx_order_id.get(&(env, wx_order_id.to_owned())).cloned()
    }

    /// A cash order or refund task by the game's id, if the player's (any player's when
    /// `openid` is `None`).
    pub(crate) fn view(&self, env: Env, order_id: &str, openid: Option<&str>) -> Option<CashOrderView> {
        let key = (env, order_id.to_owned());
        let mine = |owner: &str| openid.is_none_or(|openid| openid == owner);
        if let Some(order) = self.orders.get(&key).filter(|order| mine(&order.payment.openid)) {
            return Some(view(order));
        }
        let task = self.refunds.get(&key).filter(|task| mine(&task.ask.openid))?;
        let pay = self.orders.get(&(env, task.started.pay_order_id.clone()))?;
        Some(CashOrderView {
            order_id: task.started.refund_order_id.clone(),
            wx_order_id: task.started.refund_wx_order_id.clone(),
            status: if task.done { 5 } else { 1 },
            order_type: 1,
            order_fee: task.ask.refund_fee,
            paid_fee: 0,
            refund_fee: task.ask.refund_fee,
            left_fee: 0,
            biz_meta: task.ask.biz_meta.clone(),
            create_time: task.created,
            update_time: task.updated,
            paid_time: 0,
            provide_time: 0,
            seq: task.seq,
            ..view(pay)
        })
    }

    /// Marks a paid order delivered (an order delivered already stays so); `false` when
    /// `order_id` is no cash order of `env`. A refunded order is refused.
    pub(crate) fn deliver(&mut self, env: Env, order_id: &str, now: u64) -> Result<bool, Refusal> {
        let Some(order) = self.orders.get_mut(&(env, order_id.to_owned())) else { return Ok(false) };
        match order.status {
            CashStatus::Paid => {
                order.status = CashStatus::Delivered;
                order.provide_time = now;
                order.update_time = now;
                Ok(true)
            }
            CashStatus::Delivered => Ok(true),
            CashStatus::Refunded => Err(Refusal::UnknownOrder),
        }
    }

    /// Starts a refund task: the same `refund_order_id` with the same fields answers the same
    /// task; with other fields, or naming another order's id, it is refused. `left_fee` must
    /// be what is left (268490016), no other refund of the order may be running (268490014).
    pub(crate) fn refund(&mut self, env: Env, ask: RefundAsk, now: u64) -> Result<RefundStarted, Refusal> {
        let refund_key = (env, ask.refund_order_id.clone());
        if let Some(task) = self.refunds.get(&refund_key) {
            return if task.ask.fingerprint == ask.fingerprint {
                Ok(task.started.clone())
            } else {
                Err(Refusal::BillNoTaken)
            };
        }
        if self.orders.contains_key(&refund_key) {
            return Err(Refusal::BillNoTaken);
        }
        let order_id = if ask.by_wx_order_id {
            self.order_id_of(env, &ask.order).ok_or(Refusal::UnknownOrder)?
        } else {
            ask.order.clone()
        };
        let order = self
            .orders
            .get(&(env, order_id.clone()))
            .filter(|order| order.payment.openid == ask.openid)
            .ok_or(Refusal::UnknownOrder)?;
        let running = self.refunds.values().any(|task| {
            !task.done && task.started.pay_order_id == order_id && task.ask.openid == order.payment.openid
        });
        if running {
            return Err(Refusal::RefundRunning);
        }
        let left = order.payment.paid_fee.checked_sub(order.refunded).ok_or(Refusal::Overflow)?;
        if ask.left_fee != left {
            return Err(Refusal::LeftFeeMismatch);
        }
        if left <= 0 {
            return Err(Refusal::FullyRefunded);
        }
        if !(1..=left).contains(&ask.refund_fee) {
            return Err(Refusal::RefundTooLarge { left });
        }
        self.next += 1;
        let started = RefundStarted {
            refund_order_id: ask.refund_order_id.clone(),
            refund_wx_order_id: format!("emu-vro-{env}-{:08}", self.next),
            pay_order_id: order_id,
            pay_wx_order_id: order.wx_order_id.clone(),
        };
        let task = RefundTask {
            env,
            ask,
            started: started.clone(),
            done: false,
            created: now,
            updated: now,
            seq: self.next,
        };
        self.refunds.insert(refund_key, task);
        Ok(started)
    }

    /// Finishes every running refund task, oldest first: the order's refunded amount grows,
    /// a fully refunded order becomes status 5.
    pub(crate) fn finish_refunds(&mut self, now: u64) -> Vec<RefundFinished> {
        let mut running: Vec<&mut RefundTask> = self.refunds.values_mut().filter(|task| !task.done).collect();
        running.sort_by_key(|task| task.seq);
        let mut finished = Vec::with_capacity(running.len());
        for task in running {
            let Some(order) = self.orders.get_mut(&(task.env, task.started.pay_order_id.clone())) else {
                continue;
            };
            // `refund` checked the fee against what was left, and tasks of one order run one
            // at a time: the sum stays within the paid fee.
            let Some(refunded) = order.refunded.checked_add(task.ask.refund_fee) else { continue };
            order.refunded = refunded;
            order.update_time = now;
            if refunded >= order.payment.paid_fee {
                order.status = CashStatus::Refunded;
            }
            task.done = true;
            task.updated = now;
            finished.push(RefundFinished {
                env: order.payment.env,
                openid: task.ask.openid.clone(),
                started: task.started.clone(),
                refund_fee: task.ask.refund_fee,
                started_at: task.created,
                finished_at: now,
            });
        }
        finished
    }

    /// Every cash order, oldest first.
    pub(crate) fn orders(&self) -> Vec<CashOrderView> {
        let mut orders: Vec<&CashOrder> = self.orders.values().collect();
        orders.sort_by_key(|order| order.seq);
        orders.into_iter().map(view).collect()
    }
}

fn view(order: &CashOrder) -> CashOrderView {
    let payment = &order.payment;
    let order_fee = match &payment.bought {
        Bought::Goods { unit_price, quantity, .. } => unit_price.saturating_mul(*quantity),
        Bought::Coins { .. } => payment.paid_fee,
    };
    CashOrderView {
        env: payment.env,
        order_id: payment.out_trade_no.clone(),
        wx_order_id: order.wx_order_id.clone(),
        openid: payment.openid.clone(),
        bought: payment.bought.clone(),
        attach: payment.attach.clone(),
        status: order.status.code(),
        order_type: 0,
        order_fee,
        paid_fee: payment.paid_fee,
        refund_fee: order.refunded,
        left_fee: payment.paid_fee.saturating_sub(order.refunded),
        biz_meta: serde_json::json!({ "attach": payment.attach }).to_string(),
        create_time: payment.now,
        update_time: order.update_time,
        paid_time: payment.now,
        provide_time: order.provide_time,
        seq: order.seq,
        channel_order_id: format!("emu-channel-{:08}", order.seq),
        wxpay_order_id: format!("emu-wxpay-{:08}", order.seq),
    }
}
