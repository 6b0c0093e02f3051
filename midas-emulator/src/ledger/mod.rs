//! The books: one wallet per environment, player and zone, shared by every generation of the
//! APIs (a player gifted coins through Midas 1.0 spends them through Midas 2.0 or xpay, in the
//! same zone); the orders by `bill_no`, one namespace per environment; and the record of every
//! effect applied.
//!
//! | file | holds |
//! |---|---|
//! | `report.rs` | what the books show (public): [`Balance`], [`Effect`], [`Change`] |
//! | `contract.rs` | what the protocols hand in and get back: [`Entry`] and [`Op`]; [`Applied`] and [`Done`], or a [`Refusal`] |
//! | `wallet.rs` | one wallet's numbers and the checked arithmetic that changes them |
//! | `mod.rs` | the [`Ledger`]: wallets, orders by `bill_no`, effects; [`Ledger::apply`] |
//! | `tests.rs` | the books alone, without HTTP |
//!
//! The ledger speaks no protocol: it takes an [`Op`] and answers a [`Done`] or a [`Refusal`],
//! which each generation words in its own errcodes and fields. A call is applied whole or not
//! at all: every number is computed first, with checked arithmetic ([`wallet`]), and written
//! only when all of them fit.

mod cash;
mod contract;
mod report;
#[cfg(test)]
mod tests;
mod wallet;

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::Env;

pub(crate) use self::cash::{CashBook, Payment, RefundFinished};
pub(crate) use self::contract::{
    Applied, Bought, CashOrderView, Done, Entry, Op, OrderKind, OrderView, RefundAsk, Refusal,
};
pub use self::report::{Balance, Change, Effect};
pub use self::wallet::DEFAULT_ZONE_ID;
use self::wallet::{Overflow, PayProblem, Wallet, WalletKey};
use crate::api::Api;

impl From<Overflow> for Refusal {
    fn from(Overflow: Overflow) -> Self {
        Self::Overflow
    }
}

impl From<PayProblem> for Refusal {
    fn from(problem: PayProblem) -> Self {
        match problem {
            PayProblem::NotEnough => Self::NotEnough,
            PayProblem::Overflow => Self::Overflow,
        }
    }
}

#[derive(Debug)]
enum Booked {
    Present { amount: i64 },
    Pay { amount: i64, used_gen_amt: i64, refunded: i64, restored_gen_amt: i64, payitem: Option<String> },
    Refund { amount: i64 },
}

#[derive(Debug)]
struct Booking {
    api: Api,
    openid: String,
    zone_id: String,
    fingerprint: Vec<(String, String)>,
    /// The first answer, repeated to an identical call.
    done: Done,
    seq: u64,
    time: u64,
    booked: Booked,
}

impl Booking {
    fn repeats(&self, entry: &Entry, openid: &str) -> bool {
        self.api == entry.api && self.openid == openid && self.fingerprint == entry.fingerprint
    }

    fn view(&self, env: Env, bill_no: &str) -> OrderView {
        let (kind, amount, refunded, payitem) = match &self.booked {
            Booked::Present { amount } => (OrderKind::Present, *amount, 0, None),
            Booked::Pay { amount, refunded, payitem, .. } => {
                (OrderKind::Pay, *amount, *refunded, payitem.clone())
            }
            Booked::Refund { amount } => (OrderKind::Refund, *amount, 0, None),
        };
        OrderView {
            env,
            bill_no: bill_no.to_owned(),
            kind,
            amount,
            refunded,
            seq: self.seq,
            time: self.time,
            payitem,
        }
    }
}

/// A refund worked out in full before anything is written.
#[derive(Clone, Copy, Debug)]
struct RefundPlan {
    /// Coins given back now.
    amount: i64,
    /// How many of them are gifted coins.
    restored_gen_amt: i64,
    /// The pay's `refunded` and `restored_gen_amt` afterwards.
    refunded_after: i64,
    restored_after: i64,
}

/// Wallets, orders and effects of both environments.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Every player ever registered; a registered player has a wallet, empty until used, in
    /// every zone of both environments.
    players: HashSet<String>,
    wallets: HashMap<WalletKey, Wallet>,
    orders: HashMap<(Env, String), Booking>,
    effects: Vec<Effect>,
    /// The cash orders of xpay purchases and their refund tasks.
    cash: CashBook,
}

impl Ledger {
    /// Registers the player and opens its wallets in `zone_id` of both environments with
    /// `starting_balance` topped-up coins; wallets that exist are kept as they are.
    pub(crate) fn open(&mut self, openid: &str, zone_id: &str, starting_balance: i64) {
        self.players.insert(openid.to_owned());
        for env in [Env::Production, Env::Sandbox] {
            self.wallets
                .entry(WalletKey::new(env, openid, zone_id))
                .or_insert_with(|| Wallet::topped_up(starting_balance));
        }
    }

    /// The player's wallet in `env` and `zone_id`, if the player was ever registered.
    pub(crate) fn balance(&self, env: Env, openid: &str, zone_id: &str) -> Option<Balance> {
        self.players.contains(openid).then(|| self.wallet(env, openid, zone_id).report())
    }

    /// Whether the player was ever registered.
    pub(crate) fn knows(&self, openid: &str) -> bool {
        self.players.contains(openid)
    }

    pub(crate) fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The cash orders and refund tasks.
    pub(crate) fn cash(&mut self) -> &mut CashBook {
        &mut self.cash
    }

    /// The cash orders and refund tasks, to read.
    pub(crate) fn cash_book(&self) -> &CashBook {
        &self.cash
    }

    /// The xpay calls about cash orders: by WeChat's order id, `refund_order`, and
    /// `query_order` / `notify_provide_goods` of an id the cash book holds. `None`: not one.
    fn apply_cash(&mut self, entry: &Entry) -> Option<Result<Applied, Refusal>> {
        let env = entry.env;
        let now = unix_now();
        let openid = entry.openid.as_deref();
        let order_id = match &entry.op {
            Op::Query { bill_no } if entry.api == Api::QueryOrder && self.cash.knows(env, bill_no) => {
                bill_no.clone()
            }
            Op::Deliver { bill_no }
                if entry.api == Api::NotifyProvideGoods && self.cash.knows(env, bill_no) =>
            {
                bill_no.clone()
            }
            Op::QueryByWx { wx_order_id } | Op::DeliverByWx { wx_order_id } => {
                match self.cash.order_id_of(env, wx_order_id) {
                    Some(order_id) => order_id,
                    None => return Some(Err(Refusal::UnknownOrder)),
                }
            }
            Op::CashRefund(ask) => {
                if !self.players.contains(&ask.openid) {
                    return Some(Err(Refusal::UnknownPlayer));
                }
                let started = self.cash.refund(env, (**ask).clone(), now);
                return Some(started.map(|started| fresh(Done::RefundStarted(started))));
            }
            _ => return None,
        };
        if openid.is_some_and(|openid| !self.players.contains(openid)) {
            return Some(Err(Refusal::UnknownPlayer));
        }
        Some(match &entry.op {
            Op::Deliver { .. } | Op::DeliverByWx { .. } => match self.cash.deliver(env, &order_id, now) {
                Ok(true) => Ok(fresh(Done::Delivered)),
                Ok(false) => Err(Refusal::UnknownOrder),
                Err(refusal) => Err(refusal),
            },
            _ => match self.cash.view(env, &order_id, openid) {
                Some(view) => Ok(fresh(Done::CashOrder(Box::new(view)))),
                None => Err(Refusal::UnknownOrder),
            },
        })
    }

    fn wallet(&self, env: Env, openid: &str, zone_id: &str) -> Wallet {
        self.wallets.get(&WalletKey::new(env, openid, zone_id)).copied().unwrap_or_default()
    }

    /// Serves one checked call: applied whole, or refused with nothing changed.
    pub(crate) fn apply(&mut self, entry: &Entry) -> Result<Applied, Refusal> {
        if let Some(cash) = self.apply_cash(entry) {
            return cash;
        }
        let env = entry.env;
        if let Op::Deliver { bill_no } = &entry.op {
            return match self.orders.get(&(env, bill_no.clone())).map(|booking| &booking.booked) {
                Some(Booked::Pay { .. } | Booked::Present { .. }) => Ok(fresh(Done::Delivered)),
                _ => Err(Refusal::UnknownOrder),
            };
        }
        let openid = entry.openid.as_deref().filter(|openid| self.players.contains(*openid));
        let openid = openid.ok_or(Refusal::UnknownPlayer)?;
        let zone_id = entry.zone_id.as_str();
        let wallet = self.wallet(env, openid, zone_id);
        match &entry.op {
            Op::Balance => Ok(fresh(Done::Balance(wallet.report()))),
            Op::Present { bill_no, amount } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                let after = wallet.present(*amount)?;
                self.set_wallet(env, openid, zone_id, after);
                let done = Done::Present {
                    bill_no: bill_no.clone(),
                    balance: after.balance(),
                    gen_balance: after.gen_balance(),
                };
                let change = Change::Present { present_counts: *amount };
                self.book(entry, openid, bill_no, change, Booked::Present { amount: *amount }, &done);
                Ok(fresh(done))
            }
            Op::Pay { bill_no, amount, payitem } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                let (after, used_gen_amt) = wallet.pay(*amount)?;
                self.set_wallet(env, openid, zone_id, after);
                let done = Done::Pay { bill_no: bill_no.clone(), balance: after.balance(), used_gen_amt };
                let change = Change::Pay { amt: *amount, used_gen_amt };
                let booked = Booked::Pay {
                    amount: *amount,
                    used_gen_amt,
                    refunded: 0,
                    restored_gen_amt: 0,
                    payitem: payitem.clone(),
                };
                self.book(entry, openid, bill_no, change, booked, &done);
                Ok(fresh(done))
            }
            Op::CancelRest { pay_bill_no } => {
                let plan = self.plan_refund(env, openid, zone_id, pay_bill_no, None, false)?;
                let after = wallet.give_back(plan.amount, plan.restored_gen_amt)?;
                self.mark_refunded(env, pay_bill_no, plan);
                self.set_wallet(env, openid, zone_id, after);
                let change = Change::CancelPay { amt: plan.amount, restored_gen_amt: plan.restored_gen_amt };
                self.record(entry, openid, pay_bill_no, change, after.balance());
                Ok(fresh(Done::Refund { bill_no: pay_bill_no.clone(), balance: after.balance() }))
            }
            Op::Refund { bill_no, pay_bill_no, amount, once } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                let plan = self.plan_refund(env, openid, zone_id, pay_bill_no, Some(*amount), *once)?;
                let after = wallet.give_back(plan.amount, plan.restored_gen_amt)?;
                self.mark_refunded(env, pay_bill_no, plan);
                self.set_wallet(env, openid, zone_id, after);
                let done = Done::Refund { bill_no: bill_no.clone(), balance: after.balance() };
                let change = Change::Refund {
                    pay_bill_no: pay_bill_no.clone(),
                    amount: plan.amount,
                    restored_gen_amt: plan.restored_gen_amt,
                };
                self.book(entry, openid, bill_no, change, Booked::Refund { amount: plan.amount }, &done);
                Ok(fresh(done))
            }
            Op::Query { bill_no } => match self.orders.get(&(env, bill_no.clone())) {
                Some(booking) if booking.openid == openid => {
                    Ok(fresh(Done::Order(booking.view(env, bill_no))))
                }
                _ => Err(Refusal::UnknownOrder),
            },
            Op::Deliver { .. } | Op::QueryByWx { .. } | Op::DeliverByWx { .. } | Op::CashRefund(_) => {
                Err(Refusal::UnknownOrder)
            }
        }
    }

    /// The player's wallet in `env` after a token recharge of `coins` bought with money (xpay
    /// has no zones: the default zone's wallet), to be stored with [`Self::store_recharge`]
    /// once the order is booked. `None` when it would overflow.
    pub(crate) fn recharged(&self, env: Env, openid: &str, coins: i64) -> Option<Recharged> {
        let wallet = self.wallet(env, openid, DEFAULT_ZONE_ID).recharge(coins).ok()?;
        Some(Recharged { env, openid: openid.to_owned(), wallet })
    }

    /// Stores a wallet [`Self::recharged`] computed.
    pub(crate) fn store_recharge(&mut self, recharged: Recharged) {
        self.set_wallet(recharged.env, &recharged.openid, DEFAULT_ZONE_ID, recharged.wallet);
    }

    fn set_wallet(&mut self, env: Env, openid: &str, zone_id: &str, wallet: Wallet) {
        self.wallets.insert(WalletKey::new(env, openid, zone_id), wallet);
    }

    /// For a call booking `bill_no`: the remembered outcome when it repeats the call that
    /// booked it, `BillNoTaken` when another order holds it, nothing when it is free.
    fn replay(&self, entry: &Entry, openid: &str, bill_no: &str) -> Result<Option<Applied>, Refusal> {
        match self.orders.get(&(entry.env, bill_no.to_owned())) {
            None => Ok(None),
            Some(booking) if booking.repeats(entry, openid) => {
                Ok(Some(Applied { done: booking.done.clone(), replayed: true }))
            }
            Some(_) => Err(Refusal::BillNoTaken),
        }
    }

    /// Works out a refund of `amount` coins of the player's pay `pay_bill_no` in `zone_id`
    /// (all that is left when `None`; refused when refunded before and `once`), changing
    /// nothing.
    fn plan_refund(
        &self,
        env: Env,
        openid: &str,
        zone_id: &str,
        pay_bill_no: &str,
        amount: Option<i64>,
        once: bool,
    ) -> Result<RefundPlan, Refusal> {
        let booking = self
            .orders
            .get(&(env, pay_bill_no.to_owned()))
            .filter(|booking| booking.openid == openid && booking.zone_id == zone_id);
        let Some(Booking {
            booked: Booked::Pay { amount: paid, used_gen_amt, refunded, restored_gen_amt, .. },
            ..
        }) = booking
        else {
            return Err(Refusal::UnknownPay);
        };
        if once && *refunded > 0 {
            return Err(Refusal::AlreadyRefunded);
        }
        let left = paid.checked_sub(*refunded).ok_or(Refusal::Overflow)?;
        if left <= 0 {
            return Err(Refusal::FullyRefunded);
        }
        let amount = amount.unwrap_or(left);
        if amount > left {
            return Err(Refusal::RefundTooLarge { left });
        }
        let refunded_after = refunded.checked_add(amount).ok_or(Refusal::Overflow)?;
        // At most `used_gen_amt`, since `refunded_after <= paid`.
        let restored_in_all = i128::from(refunded_after) * i128::from(*used_gen_amt) / i128::from(*paid);
        let restored_after = i64::try_from(restored_in_all).map_err(|_| Refusal::Overflow)?;
        let restored_now = restored_after.checked_sub(*restored_gen_amt).ok_or(Refusal::Overflow)?;
        Ok(RefundPlan { amount, restored_gen_amt: restored_now, refunded_after, restored_after })
    }

    /// Writes a planned refund into the pay it refunds.
    fn mark_refunded(&mut self, env: Env, pay_bill_no: &str, plan: RefundPlan) {
        if let Some(Booking { booked: Booked::Pay { refunded, restored_gen_amt, .. }, .. }) =
            self.orders.get_mut(&(env, pay_bill_no.to_owned()))
        {
            *refunded = plan.refunded_after;
            *restored_gen_amt = plan.restored_after;
        }
    }

    /// Records the effect and books the order under `bill_no`, with `done` (the balance after
    /// it, and the answer to repeat).
    fn book(
        &mut self,
        entry: &Entry,
        openid: &str,
        bill_no: &str,
        change: Change,
        booked: Booked,
        done: &Done,
    ) {
        let balance_after = match done {
            Done::Present { balance, .. } | Done::Pay { balance, .. } | Done::Refund { balance, .. } => {
                *balance
            }
            Done::Balance(balance) => balance.balance,
            Done::Order(_) | Done::Delivered | Done::CashOrder(_) | Done::RefundStarted(_) => 0,
        };
        let seq = self.record(entry, openid, bill_no, change, balance_after);
        let booking = Booking {
            api: entry.api,
            openid: openid.to_owned(),
            zone_id: entry.zone_id.clone(),
            fingerprint: entry.fingerprint.clone(),
            done: done.clone(),
            seq,
            time: unix_now(),
            booked,
        };
        self.orders.insert((entry.env, bill_no.to_owned()), booking);
    }

    fn record(
        &mut self,
        entry: &Entry,
        openid: &str,
        bill_no: &str,
        change: Change,
        balance_after: i64,
    ) -> u64 {
        let seq = self.effects.len() as u64 + 1;
        let effect = Effect {
            seq,
            api: entry.api,
            env: entry.env,
            openid: openid.to_owned(),
            zone_id: entry.zone_id.clone(),
            bill_no: bill_no.to_owned(),
            change,
            balance_after,
        };
        self.effects.push(effect);
        seq
    }
}

fn fresh(done: Done) -> Applied {
    Applied { done, replayed: false }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// A wallet after a token recharge, computed before the recharge's order is booked.
#[derive(Debug)]
pub(crate) struct Recharged {
    env: Env,
    openid: String,
    wallet: Wallet,
}
