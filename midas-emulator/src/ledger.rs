//! The books: one wallet per environment, player and zone, shared by every generation of the
//! APIs (a player gifted coins through Midas 1.0 spends them through Midas 2.0 or xpay, in the
//! same zone); the orders by `bill_no`, one namespace per environment; and the record of every
//! effect applied.
//!
//! The ledger speaks no protocol: it takes an [`Op`] and answers a [`Done`] or a [`Refusal`],
//! which each generation words in its own errcodes and fields. A call is applied whole or not
//! at all: every number is computed first, with checked arithmetic ([`crate::wallet`]), and
//! written only when all of them fit.

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::Env;

use crate::Api;
use crate::wallet::{Balance, Overflow, PayProblem, Wallet, WalletKey};

/// A change applied to a wallet, whichever generation of the APIs asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// `present`, `present`(2.0), `present_currency`: gifted coins added.
    Present {
        /// Coins gifted.
        present_counts: i64,
    },
    /// `pay`, `pay`(2.0), `currency_pay`: coins deducted, gifted ones first.
    Pay {
        /// Coins deducted.
        amt: i64,
        /// How many of them were gifted coins.
        used_gen_amt: i64,
    },
    /// Midas 1.0 `cancelpay`: what was left of a deduction given back (all of it, unless
    /// part was refunded already through Midas 2.0 or xpay). The effect's `bill_no` is the
    /// pay's.
    CancelPay {
        /// Coins given back.
        amt: i64,
        /// How many of them go back to the gifted coins.
        restored_gen_amt: i64,
    },
    /// Midas 2.0 `cancelpay`, xpay `cancel_currency_pay`: part or all of a deduction given
    /// back under a refund order of its own (the effect's `bill_no`).
    ///
    /// Gifted coins come back in proportion: once refunds of a pay of `amt` coins that used
    /// `used_gen_amt` gifted ones add up to `r`, `floor(r * used_gen_amt / amt)` gifted coins
    /// have been restored in all, so refunds that add up to the whole pay restore exactly the
    /// gifted coins it used.
    Refund {
        /// The pay refunded.
        pay_bill_no: String,
        /// Coins given back by this refund.
        amount: i64,
        /// How many of them go back to the gifted coins.
        restored_gen_amt: i64,
    },
}

impl Change {
    /// The Midas 1.0 API that makes a change of this kind ([`Api::CancelPay`] for a refund);
    /// [`Effect::api`] is the API that made it.
    pub const fn api(&self) -> Api {
        match self {
            Self::Present { .. } => Api::Present,
            Self::Pay { .. } => Api::Pay,
            Self::CancelPay { .. } | Self::Refund { .. } => Api::CancelPay,
        }
    }
}

/// One applied effect, in the order they were applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// 1 for the first effect, then counting up.
    pub seq: u64,
    /// The API that was called, of any generation.
    pub api: Api,
    /// The environment of the wallet.
    pub env: Env,
    /// The player.
    pub openid: String,
    /// The zone of the wallet: the call's `zone_id` (Midas 1.0 and 2.0), or
    /// [`crate::DEFAULT_ZONE_ID`] (xpay).
    pub zone_id: String,
    /// The order: the `bill_no` (Midas) or `order_id` (xpay) of the call; for a Midas 1.0
    /// `cancelpay`, the pay's.
    pub bill_no: String,
    /// What changed.
    pub change: Change,
    /// The balance right after.
    pub balance_after: i64,
}

/// What a checked call asks of the books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Balance,
    Present {
        bill_no: String,
        amount: i64,
    },
    Pay {
        bill_no: String,
        amount: i64,
        payitem: Option<String>,
    },
    /// Midas 1.0 `cancelpay`: give back whatever is left of the pay.
    CancelRest {
        pay_bill_no: String,
    },
    /// A refund order of its own, of `amount` coins of the pay; with `once`, refused when the
    /// pay was refunded before at all (xpay), else whenever it adds up to more than the pay.
    Refund {
        bill_no: String,
        pay_bill_no: String,
        amount: i64,
        once: bool,
    },
    /// An order of the player, by its `bill_no`, in any zone.
    Query {
        bill_no: String,
    },
    /// Any pay or present order of the environment, by its `bill_no`.
    Deliver {
        bill_no: String,
    },
}

/// A checked call, ready for the books.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) api: Api,
    pub(crate) env: Env,
    /// `None` only for calls about an order alone (`notify_provide_goods`).
    pub(crate) openid: Option<String>,
    /// The zone of the wallet: the body's `zone_id`, or [`crate::DEFAULT_ZONE_ID`] for xpay.
    pub(crate) zone_id: String,
    pub(crate) op: Op,
    /// What identifies the order beyond its `bill_no` (every body field but `ts` and the
    /// signatures): two attempts of one request carry the same fingerprint.
    pub(crate) fingerprint: Vec<(String, String)>,
}

impl Entry {
    /// What names the call across its attempts, for the fault draws: the order it books or is
    /// about (a Midas 1.0 `cancelpay`: the pay's `bill_no`), or the player for a balance query.
    pub(crate) fn call(&self) -> &str {
        match &self.op {
            Op::Balance => self.openid.as_deref().unwrap_or_default(),
            Op::Present { bill_no, .. }
            | Op::Pay { bill_no, .. }
            | Op::Refund { bill_no, .. }
            | Op::Query { bill_no }
            | Op::Deliver { bill_no } => bill_no,
            Op::CancelRest { pay_bill_no } => pay_bill_no,
        }
    }
}

/// What the books did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    Balance(Balance),
    Present {
        bill_no: String,
        balance: i64,
        gen_balance: i64,
    },
    Pay {
        bill_no: String,
        balance: i64,
        used_gen_amt: i64,
    },
    /// `bill_no` is the refund order's, or the pay's for a Midas 1.0 `cancelpay`.
    Refund {
        bill_no: String,
        balance: i64,
    },
    Order(OrderView),
    Delivered,
}

/// An outcome, and whether it is the remembered outcome of an identical earlier call that
/// changed nothing this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) done: Done,
    pub(crate) replayed: bool,
}

/// Why the books refused; each generation has its errcode for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No wallet: the player was never registered.
    UnknownPlayer,
    /// The `bill_no` belongs to another order.
    BillNoTaken,
    /// Fewer coins than the pay asks.
    NotEnough,
    /// No pay of the player in the zone under that `bill_no`.
    UnknownPay,
    /// Nothing is left to refund of the pay.
    FullyRefunded,
    /// The pay was refunded before, and may be refunded once only.
    AlreadyRefunded,
    /// The refund asks for more than is left of the pay.
    RefundTooLarge { left: i64 },
    /// No order under that `bill_no`.
    UnknownOrder,
    /// The amount would take a number of the wallet past `i64`: a parameter error, nothing
    /// applied.
    Overflow,
}

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

/// The kind of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderKind {
    Pay,
    Present,
    Refund,
}

/// An order as a query reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderView {
    pub(crate) env: Env,
    pub(crate) bill_no: String,
    pub(crate) kind: OrderKind,
    /// Coins paid, gifted or refunded by the order.
    pub(crate) amount: i64,
    /// For a pay: coins refunded of it so far.
    pub(crate) refunded: i64,
    /// The effect that booked the order: a number unique to it.
    pub(crate) seq: u64,
    /// When it was booked, UNIX seconds.
    pub(crate) time: u64,
    pub(crate) payitem: Option<String>,
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

    fn wallet(&self, env: Env, openid: &str, zone_id: &str) -> Wallet {
        self.wallets.get(&WalletKey::new(env, openid, zone_id)).copied().unwrap_or_default()
    }

    /// Serves one checked call: applied whole, or refused with nothing changed.
    pub(crate) fn apply(&mut self, entry: &Entry) -> Result<Applied, Refusal> {
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
            Op::Deliver { .. } => Err(Refusal::UnknownOrder),
        }
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
            Done::Order(_) | Done::Delivered => 0,
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

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_ZONE_ID;

    struct Books(Ledger);

    impl Books {
        fn new() -> Self {
            let mut ledger = Ledger::default();
            ledger.open("p1", DEFAULT_ZONE_ID, 100);
            Self(ledger)
        }

        /// Applies `op` for `p1` in the sandbox, zone "1", the fingerprint tagged `tag`.
        fn call(&mut self, api: Api, op: Op, tag: &str) -> Result<Applied, Refusal> {
            self.call_as(api, Env::Sandbox, "p1", op, tag)
        }

        fn call_as(
            &mut self,
            api: Api,
            env: Env,
            openid: &str,
            op: Op,
            tag: &str,
        ) -> Result<Applied, Refusal> {
            self.call_in_zone(api, env, openid, DEFAULT_ZONE_ID, op, tag)
        }

        fn call_in_zone(
            &mut self,
            api: Api,
            env: Env,
            openid: &str,
            zone_id: &str,
            op: Op,
            tag: &str,
        ) -> Result<Applied, Refusal> {
            let entry = Entry {
                api,
                env,
                openid: Some(openid.to_owned()),
                zone_id: zone_id.to_owned(),
                op,
                fingerprint: vec![
                    ("tag".to_owned(), tag.to_owned()),
                    ("zone".to_owned(), zone_id.to_owned()),
                ],
            };
            self.0.apply(&entry)
        }

        fn balance(&self) -> Balance {
            self.0.balance(Env::Sandbox, "p1", DEFAULT_ZONE_ID).unwrap_or_default()
        }

        /// Every wallet keeps `balance == save_amt + present_sum - cost_sum`, and the effects
        /// add up to what the wallets hold beyond their starting coins.
        fn assert_consistent(&self) {
            let mut moved: HashMap<&WalletKey, i128> = HashMap::new();
            let keys: Vec<WalletKey> = self
                .0
                .effects()
                .iter()
                .map(|effect| WalletKey::new(effect.env, &effect.openid, &effect.zone_id))
                .collect();
            for (effect, key) in self.0.effects().iter().zip(&keys) {
                let delta = match &effect.change {
                    Change::Present { present_counts } => i128::from(*present_counts),
                    Change::Pay { amt, .. } => -i128::from(*amt),
                    Change::CancelPay { amt, .. } => i128::from(*amt),
                    Change::Refund { amount, .. } => i128::from(*amount),
                };
                *moved.entry(key).or_default() += delta;
            }
            for (key, wallet) in &self.0.wallets {
                let b = wallet.report();
                assert_eq!(
                    i128::from(b.balance),
                    i128::from(b.save_amt) + i128::from(b.present_sum) - i128::from(b.cost_sum),
                    "{key:?}: {b:?}"
                );
                assert!((0..=b.balance).contains(&b.gen_balance) && b.cost_sum >= 0, "{key:?}: {b:?}");
                let moved = moved.get(key).copied().unwrap_or_default();
                assert_eq!(i128::from(b.balance), i128::from(b.save_amt) + moved, "{key:?}: effects");
            }
        }

        fn changes(&self) -> Vec<Change> {
            self.0.effects().iter().map(|effect| effect.change.clone()).collect()
        }
    }

    fn pay(bill_no: &str, amount: i64) -> Op {
        Op::Pay { bill_no: bill_no.to_owned(), amount, payitem: None }
    }

    fn present(bill_no: &str, amount: i64) -> Op {
        Op::Present { bill_no: bill_no.to_owned(), amount }
    }

    fn cancel(pay_bill_no: &str) -> Op {
        Op::CancelRest { pay_bill_no: pay_bill_no.to_owned() }
    }

    fn refund(bill_no: &str, pay_bill_no: &str, amount: i64) -> Op {
        Op::Refund { bill_no: bill_no.to_owned(), pay_bill_no: pay_bill_no.to_owned(), amount, once: false }
    }

    fn refusal(result: Result<Applied, Refusal>) -> Option<Refusal> {
        result.err()
    }

    #[test]
    fn a_registered_player_starts_with_topped_up_coins_in_both_environments() {
        let books = Books::new();
        for env in [Env::Production, Env::Sandbox] {
            let balance = books.0.balance(env, "p1", DEFAULT_ZONE_ID);
            assert_eq!(balance.map(|b| (b.balance, b.save_amt, b.first_save)), Some((100, 100, false)));
        }
        assert_eq!(books.0.balance(Env::Sandbox, "p2", DEFAULT_ZONE_ID), None);
        assert!(books.0.knows("p1") && !books.0.knows("p2"));
    }

    #[test]
    fn pay_spends_gifted_coins_first() {
        let mut books = Books::new();
        assert!(books.call(Api::Present, present("g1", 30), "g1").is_ok());
        let paid = books.call(Api::V2Pay, pay("b1", 50), "b1").map(|applied| applied.done);
        assert_eq!(paid, Ok(Done::Pay { bill_no: "b1".into(), balance: 80, used_gen_amt: 30 }));
        let balance = books.balance();
        assert_eq!(
            (balance.balance, balance.gen_balance, balance.cost_sum, balance.present_sum, balance.save_sum),
            (80, 0, 50, 30, 130)
        );
    }

    #[test]
    fn environments_keep_separate_books() {
        let mut books = Books::new();
        assert!(books.call(Api::Pay, pay("b1", 40), "b1").is_ok());
        assert_eq!(books.0.balance(Env::Production, "p1", DEFAULT_ZONE_ID).map(|b| b.balance), Some(100));
        // The same bill_no is free in the other environment.
        assert!(books.call_as(Api::Pay, Env::Production, "p1", pay("b1", 40), "b1").is_ok());
    }

    #[test]
    fn the_same_call_again_is_replayed_without_a_second_effect() {
        let mut books = Books::new();
        let first = books.call(Api::Pay, pay("b1", 40), "b1");
        let again = books.call(Api::Pay, pay("b1", 40), "b1");
        assert_eq!(first.as_ref().map(|applied| applied.replayed), Ok(false));
        assert_eq!(again.as_ref().map(|applied| applied.replayed), Ok(true));
        assert_eq!(first.map(|applied| applied.done), again.map(|applied| applied.done));
        assert!(books.call(Api::Present, present("g1", 5), "g1").is_ok());
        assert_eq!(
            books.call(Api::Present, present("g1", 5), "g1").map(|applied| applied.replayed),
            Ok(true)
        );
        assert_eq!((books.balance().balance, books.0.effects().len()), (65, 2));
    }

    #[test]
    fn a_reused_bill_no_for_another_order_is_refused() {
        let mut books = Books::new();
        books.0.open("p2", DEFAULT_ZONE_ID, 100);
        assert!(books.call(Api::Pay, pay("b1", 40), "b1").is_ok());
        assert_eq!(refusal(books.call(Api::Pay, pay("b1", 41), "other")), Some(Refusal::BillNoTaken));
        assert_eq!(
            refusal(books.call_as(Api::Pay, Env::Sandbox, "p2", pay("b1", 40), "b1")),
            Some(Refusal::BillNoTaken)
        );
        assert_eq!(refusal(books.call(Api::Present, present("b1", 5), "b1")), Some(Refusal::BillNoTaken));
        // The same body through another generation is another order.
        assert_eq!(refusal(books.call(Api::V2Pay, pay("b1", 40), "b1")), Some(Refusal::BillNoTaken));
        assert_eq!(books.0.effects().len(), 1);
    }

    #[test]
    fn pay_beyond_the_balance_is_refused_and_leaves_the_bill_no_free() {
        let mut books = Books::new();
        assert_eq!(refusal(books.call(Api::Pay, pay("b1", 101), "b1")), Some(Refusal::NotEnough));
        assert!(books.call(Api::Pay, pay("b1", 100), "b1").is_ok());
        assert_eq!(books.balance().balance, 0);
    }

    #[test]
    fn cancelpay_gives_a_deduction_back_once() {
        let mut books = Books::new();
        assert!(books.call(Api::Present, present("g1", 10), "g1").is_ok());
        assert!(books.call(Api::Pay, pay("b1", 25), "b1").is_ok());
        assert!(books.call(Api::CancelPay, cancel("b1"), "c").is_ok());
        assert_eq!(refusal(books.call(Api::CancelPay, cancel("b1"), "c")), Some(Refusal::FullyRefunded));
        assert_eq!(refusal(books.call(Api::CancelPay, cancel("nope"), "c")), Some(Refusal::UnknownPay));
        assert_eq!(refusal(books.call(Api::CancelPay, cancel("g1"), "c")), Some(Refusal::UnknownPay));
        let balance = books.balance();
        assert_eq!((balance.balance, balance.gen_balance, balance.cost_sum), (110, 10, 0));
        assert_eq!(
            books.changes(),
            [
                Change::Present { present_counts: 10 },
                Change::Pay { amt: 25, used_gen_amt: 10 },
                Change::CancelPay { amt: 25, restored_gen_amt: 10 },
            ]
        );
    }

    #[test]
    fn partial_refunds_restore_gifted_coins_in_proportion_up_to_the_pay() {
        let mut books = Books::new();
        assert!(books.call(Api::V2Present, present("g1", 10), "g1").is_ok());
        // 30 coins: 10 gifted, 20 topped up.
        assert!(books.call(Api::V2Pay, pay("b1", 30), "b1").is_ok());
        assert!(books.call(Api::V2CancelPay, refund("r1", "b1", 7), "r1").is_ok());
        assert!(books.call(Api::V2CancelPay, refund("r2", "b1", 8), "r2").is_ok());
        assert_eq!(
            refusal(books.call(Api::V2CancelPay, refund("r3", "b1", 16), "r3")),
            Some(Refusal::RefundTooLarge { left: 15 })
        );
        assert!(books.call(Api::V2CancelPay, refund("r3", "b1", 15), "r3").is_ok());
        assert_eq!(
            refusal(books.call(Api::V2CancelPay, refund("r4", "b1", 1), "r4")),
            Some(Refusal::FullyRefunded)
        );
        let restored: Vec<i64> = books
            .changes()
            .iter()
            .filter_map(|change| match change {
                Change::Refund { restored_gen_amt, .. } => Some(*restored_gen_amt),
                _ => None,
            })
            .collect();
        // floor(7/3) = 2, floor(15/3) - 2 = 3, 10 - 5 = 5.
        assert_eq!(restored, [2, 3, 5]);
        let balance = books.balance();
        assert_eq!((balance.balance, balance.gen_balance, balance.cost_sum), (110, 10, 0));
    }

    #[test]
    fn a_pay_refundable_once_is_refused_a_second_refund() {
        let mut books = Books::new();
        assert!(books.call(Api::CurrencyPay, pay("b1", 30), "b1").is_ok());
        let once = |bill_no: &str, amount| Op::Refund {
            bill_no: bill_no.to_owned(),
            pay_bill_no: "b1".to_owned(),
            amount,
            once: true,
        };
        assert!(books.call(Api::CancelCurrencyPay, once("r1", 10), "r1").is_ok());
        assert_eq!(
            refusal(books.call(Api::CancelCurrencyPay, once("r2", 10), "r2")),
            Some(Refusal::AlreadyRefunded)
        );
        assert_eq!(books.balance().balance, 80);
    }

    #[test]
    fn a_midas_1_cancel_gives_back_what_partial_refunds_left() {
        let mut books = Books::new();
        assert!(books.call(Api::Pay, pay("b1", 30), "b1").is_ok());
        assert!(books.call(Api::CancelCurrencyPay, refund("r1", "b1", 10), "r1").is_ok());
        assert!(books.call(Api::CancelPay, cancel("b1"), "c").is_ok());
        assert_eq!(books.changes().last(), Some(&Change::CancelPay { amt: 20, restored_gen_amt: 0 }));
        assert_eq!(books.balance().balance, 100);
    }

    #[test]
    fn queries_see_the_players_own_orders_and_deliveries_any_pay_or_present() {
        let mut books = Books::new();
        books.0.open("p2", DEFAULT_ZONE_ID, 100);
        assert!(books.call(Api::V2Pay, pay("b1", 30), "b1").is_ok());
        assert!(books.call(Api::V2CancelPay, refund("r1", "b1", 10), "r1").is_ok());
        let query = |bill_no: &str| Op::Query { bill_no: bill_no.to_owned() };
        let Ok(Applied { done: Done::Order(view), .. }) = books.call(Api::QueryOrder, query("b1"), "q")
        else {
            panic!("b1 is p1's pay");
        };
        assert_eq!((view.kind, view.amount, view.refunded), (OrderKind::Pay, 30, 10));
        assert!(books.call(Api::QueryOrder, query("r1"), "q").is_ok());
        assert_eq!(
            refusal(books.call_as(Api::QueryOrder, Env::Sandbox, "p2", query("b1"), "q")),
            Some(Refusal::UnknownOrder)
        );
        let deliver = |bill_no: &str| Entry {
            api: Api::NotifyProvideGoods,
            env: Env::Sandbox,
            openid: None,
            zone_id: DEFAULT_ZONE_ID.to_owned(),
            op: Op::Deliver { bill_no: bill_no.to_owned() },
            fingerprint: Vec::new(),
        };
        assert_eq!(books.0.apply(&deliver("b1")).map(|applied| applied.done), Ok(Done::Delivered));
        assert_eq!(books.0.apply(&deliver("r1")), Err(Refusal::UnknownOrder));
        assert_eq!(books.0.apply(&deliver("nope")), Err(Refusal::UnknownOrder));
    }

    #[test]
    fn unknown_players_are_refused() {
        let mut books = Books::new();
        assert_eq!(
            refusal(books.call_as(Api::GetBalance, Env::Sandbox, "stranger", Op::Balance, "b")),
            Some(Refusal::UnknownPlayer)
        );
    }

    #[test]
    fn ledger_refuses_present_that_would_overflow() {
        let mut books = Books::new();
        assert!(books.call(Api::Present, present("g1", i64::MAX - 200), "g1").is_ok());
        let before = books.balance();
        for (api, bill_no) in [(Api::Present, "g2"), (Api::V2Present, "g3"), (Api::PresentCurrency, "g4")] {
            assert_eq!(refusal(books.call(api, present(bill_no, 101), bill_no)), Some(Refusal::Overflow));
            assert_eq!(
                refusal(books.call(api, present(bill_no, i64::MAX), bill_no)),
                Some(Refusal::Overflow)
            );
        }
        assert_eq!(books.balance(), before, "nothing applied");
        assert_eq!(books.0.effects().len(), 1);
        // The refused bill_nos were never booked.
        assert!(books.call(Api::Present, present("g2", 100), "g2").is_ok());
        assert_eq!(books.balance().balance, i64::MAX);
        books.assert_consistent();
    }

    /// The old books saturated on presents and pays and subtracted on cancels: three rounds of
    /// "fill up to the limit, pay it all" drove the third cancel's `cost_sum` below `i64::MIN`,
    /// a panic after the pay was already marked refunded.
    #[test]
    fn ledger_cancel_never_panics_on_cost_sum_underflow() {
        let mut books = Books::new();
        let mut pays = Vec::new();
        for round in 0..3 {
            let gift = format!("g{round}");
            let room = i64::MAX - books.balance().balance;
            let gifted = books.call(Api::Present, present(&gift, room), &gift);
            assert!(matches!(gifted, Ok(_) | Err(Refusal::Overflow)), "{gifted:?}");
            let bill_no = format!("b{round}");
            match books.call(Api::Pay, pay(&bill_no, i64::MAX), &bill_no) {
                Ok(_) => pays.push(bill_no),
                Err(refusal) => assert_eq!(refusal, Refusal::NotEnough),
            }
        }
        for bill_no in &pays {
            let cancelled = books.call(Api::CancelPay, cancel(bill_no), "c");
            assert!(matches!(cancelled, Ok(_) | Err(Refusal::Overflow)), "{cancelled:?}");
        }
        books.assert_consistent();
        let balance = books.balance();
        assert_eq!((balance.balance, balance.cost_sum), (i64::MAX, 0), "{balance:?}");
    }

    #[test]
    fn wallets_are_kept_per_zone() {
        let mut books = Books::new();
        let zone = |books: &mut Books, zone_id: &str, op: Op, tag: &str| {
            books.call_in_zone(Api::V2Present, Env::Sandbox, "p1", zone_id, op, tag)
        };
        assert!(zone(&mut books, "2", present("g1", 30), "g1").is_ok());
        assert_eq!(books.balance().balance, 100, "zone 1 unchanged");
        let zone_2 = books.0.balance(Env::Sandbox, "p1", "2");
        assert_eq!(zone_2.map(|b| (b.balance, b.gen_balance, b.save_amt)), Some((30, 30, 0)));
        // A pay in zone 2 cannot be cancelled from zone 1.
        let paid = books.call_in_zone(Api::V2Pay, Env::Sandbox, "p1", "2", pay("b1", 20), "b1");
        assert!(paid.is_ok());
        assert_eq!(
            refusal(books.call(Api::V2CancelPay, refund("r1", "b1", 5), "r1")),
            Some(Refusal::UnknownPay)
        );
        assert!(
            books
                .call_in_zone(Api::V2CancelPay, Env::Sandbox, "p1", "2", refund("r1", "b1", 5), "r1")
                .is_ok()
        );
        assert_eq!(books.0.balance(Env::Sandbox, "p1", "2").map(|b| b.balance), Some(15));
        let untouched = books.0.balance(Env::Sandbox, "p1", "3");
        assert_eq!(untouched.map(|b| (b.balance, b.first_save)), Some((0, true)));
        books.assert_consistent();
    }
}
