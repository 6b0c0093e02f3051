//! The books: one account per player and environment, shared by every generation of the APIs
//! (a player gifted coins through Midas 1.0 spends them through Midas 2.0 or xpay); the orders
//! by `bill_no`, one namespace per environment; and the record of every effect applied.
//!
//! The ledger speaks no protocol: it takes an [`Op`] and answers a [`Done`] or a [`Refusal`],
//! which each generation words in its own errcodes and fields.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::Env;
use serde::Serialize;

use crate::Api;

/// A player's account in one environment, as `getbalance` reports it.
///
/// `balance` includes the gifted coins (`gen_balance`); `save_sum` is the emulator's reading of
/// "historical total coins": everything ever topped up or gifted (`save_amt + present_sum`).
/// Midas 2.0 and xpay name the same numbers `present_balance` (`gen_balance`), `sum_save`
/// (`save_amt`), `sum_present` (`present_sum`), `sum_balance` (`save_sum`) and `sum_cost`
/// (`cost_sum`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// Game coins, gifted ones included.
    pub balance: i64,
    /// Gifted coins.
    pub gen_balance: i64,
    /// Whether the player has never topped up (qualifies for a first top-up). Midas 1.0 sends
    /// it as `1` or `0`, the form real answers carry (the documentation says boolean; clients
    /// accept both); Midas 2.0 and xpay send a boolean.
    #[serde(serialize_with = "flag_as_integer")]
    pub first_save: bool,
    /// Coins topped up in total (the starting balance of a registered player).
    pub save_amt: i64,
    /// Coins ever received: `save_amt + present_sum`.
    pub save_sum: i64,
    /// Coins spent in total (refunded deductions are given back).
    pub cost_sum: i64,
    /// Coins received as gifts in total.
    pub present_sum: i64,
}

fn flag_as_integer<S: serde::Serializer>(flag: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(u8::from(*flag))
}

/// A change applied to an account, whichever generation of the APIs asked for it.
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
    /// The environment of the account.
    pub env: Env,
    /// The player.
    pub openid: String,
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
    /// An order of the player, by its `bill_no`.
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
    pub(crate) op: Op,
    /// What identifies the order beyond its `bill_no` (every body field but `ts` and the
    /// signatures): two attempts of one request carry the same fingerprint.
    pub(crate) fingerprint: Vec<(String, String)>,
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
    /// No account: the player was never registered.
    UnknownPlayer,
    /// The `bill_no` belongs to another order.
    BillNoTaken,
    /// Fewer coins than the pay asks.
    NotEnough,
    /// No pay of the player under that `bill_no`.
    UnknownPay,
    /// Nothing is left to refund of the pay.
    FullyRefunded,
    /// The pay was refunded before, and may be refunded once only.
    AlreadyRefunded,
    /// The refund asks for more than is left of the pay.
    RefundTooLarge { left: i64 },
    /// No order under that `bill_no`.
    UnknownOrder,
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

#[derive(Clone, Copy, Debug, Default)]
struct Account {
    balance: i64,
    gen_balance: i64,
    save_amt: i64,
    cost_sum: i64,
    present_sum: i64,
}

impl Account {
    fn report(&self) -> Balance {
        Balance {
            balance: self.balance,
            gen_balance: self.gen_balance,
            first_save: self.save_amt == 0,
            save_amt: self.save_amt,
            save_sum: self.save_amt.saturating_add(self.present_sum),
            cost_sum: self.cost_sum,
            present_sum: self.present_sum,
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

/// Accounts, orders and effects of both environments.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    accounts: HashMap<(Env, String), Account>,
    orders: HashMap<(Env, String), Booking>,
    effects: Vec<Effect>,
}

impl Ledger {
    /// Opens the player's accounts in both environments with `starting_balance` topped-up
    /// coins; accounts that exist are kept as they are.
    pub(crate) fn open(&mut self, openid: &str, starting_balance: i64) {
        for env in [Env::Production, Env::Sandbox] {
            self.accounts.entry((env, openid.to_owned())).or_insert(Account {
                balance: starting_balance,
                save_amt: starting_balance,
                ..Account::default()
            });
        }
    }

    pub(crate) fn balance(&self, env: Env, openid: &str) -> Option<Balance> {
        self.accounts.get(&(env, openid.to_owned())).map(Account::report)
    }

    /// Whether the player has accounts (was ever registered).
    pub(crate) fn knows(&self, openid: &str) -> bool {
        self.accounts.contains_key(&(Env::Sandbox, openid.to_owned()))
    }

    pub(crate) fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Serves one checked call.
    pub(crate) fn apply(&mut self, entry: &Entry) -> Result<Applied, Refusal> {
        let env = entry.env;
        if let Op::Deliver { bill_no } = &entry.op {
            return match self.orders.get(&(env, bill_no.clone())).map(|booking| &booking.booked) {
                Some(Booked::Pay { .. } | Booked::Present { .. }) => Ok(fresh(Done::Delivered)),
                _ => Err(Refusal::UnknownOrder),
            };
        }
        let openid = entry.openid.as_deref().ok_or(Refusal::UnknownPlayer)?;
        let account = *self.accounts.get(&(env, openid.to_owned())).ok_or(Refusal::UnknownPlayer)?;
        match &entry.op {
            Op::Balance => Ok(fresh(Done::Balance(account.report()))),
            Op::Present { bill_no, amount } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                let account = self.update(env, openid, |account| {
                    account.balance = account.balance.saturating_add(*amount);
                    account.gen_balance = account.gen_balance.saturating_add(*amount);
                    account.present_sum = account.present_sum.saturating_add(*amount);
                });
                let done = Done::Present {
                    bill_no: bill_no.clone(),
                    balance: account.balance,
                    gen_balance: account.gen_balance,
                };
                let change = Change::Present { present_counts: *amount };
                self.book(entry, openid, bill_no, change, Booked::Present { amount: *amount }, &done);
                Ok(fresh(done))
            }
            Op::Pay { bill_no, amount, payitem } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                if account.balance < *amount {
                    return Err(Refusal::NotEnough);
                }
                let used_gen_amt = account.gen_balance.clamp(0, *amount);
                let account = self.update(env, openid, |account| {
                    account.balance -= *amount;
                    account.gen_balance -= used_gen_amt;
                    account.cost_sum = account.cost_sum.saturating_add(*amount);
                });
                let done = Done::Pay { bill_no: bill_no.clone(), balance: account.balance, used_gen_amt };
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
                let (amount, restored_gen_amt) = self.refund_pay(env, openid, pay_bill_no, None, false)?;
                let balance = self.give_back(env, openid, amount, restored_gen_amt);
                let change = Change::CancelPay { amt: amount, restored_gen_amt };
                self.record(entry.api, env, openid, pay_bill_no, change, balance);
                Ok(fresh(Done::Refund { bill_no: pay_bill_no.clone(), balance }))
            }
            Op::Refund { bill_no, pay_bill_no, amount, once } => {
                if let Some(replayed) = self.replay(entry, openid, bill_no)? {
                    return Ok(replayed);
                }
                let (amount, restored_gen_amt) =
                    self.refund_pay(env, openid, pay_bill_no, Some(*amount), *once)?;
                let balance = self.give_back(env, openid, amount, restored_gen_amt);
                let done = Done::Refund { bill_no: bill_no.clone(), balance };
                let change = Change::Refund { pay_bill_no: pay_bill_no.clone(), amount, restored_gen_amt };
                self.book(entry, openid, bill_no, change, Booked::Refund { amount }, &done);
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

    /// Marks `amount` coins of the player's pay `pay_bill_no` refunded (all that is left when
    /// `None`; refused when refunded before and `once`): the coins, and how many of them are
    /// gifted ones to restore.
    fn refund_pay(
        &mut self,
        env: Env,
        openid: &str,
        pay_bill_no: &str,
        amount: Option<i64>,
        once: bool,
    ) -> Result<(i64, i64), Refusal> {
        let booking =
            self.orders.get_mut(&(env, pay_bill_no.to_owned())).filter(|booking| booking.openid == openid);
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
        let left = *paid - *refunded;
        if left <= 0 {
            return Err(Refusal::FullyRefunded);
        }
        let amount = amount.unwrap_or(left);
        if amount > left {
            return Err(Refusal::RefundTooLarge { left });
        }
        *refunded += amount;
        let restored_in_all = i128::from(*refunded) * i128::from(*used_gen_amt) / i128::from(*paid);
        // At most `used_gen_amt`, since `refunded <= paid`.
        let restored_in_all = i64::try_from(restored_in_all).unwrap_or(*used_gen_amt);
        let restored_now = restored_in_all - *restored_gen_amt;
        *restored_gen_amt = restored_in_all;
        Ok((amount, restored_now))
    }

    /// Gives `amount` coins back, `restored_gen_amt` of them gifted; the balance after.
    fn give_back(&mut self, env: Env, openid: &str, amount: i64, restored_gen_amt: i64) -> i64 {
        let account = self.update(env, openid, |account| {
            account.balance = account.balance.saturating_add(amount);
            account.gen_balance = account.gen_balance.saturating_add(restored_gen_amt);
            account.cost_sum -= amount;
        });
        account.balance
    }

    /// Changes the account (known to exist) and returns it as it is afterwards.
    fn update(&mut self, env: Env, openid: &str, change: impl FnOnce(&mut Account)) -> Account {
        let account = self.accounts.entry((env, openid.to_owned())).or_default();
        change(account);
        *account
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
        let seq = self.record(entry.api, entry.env, openid, bill_no, change, balance_after);
        let booking = Booking {
            api: entry.api,
            openid: openid.to_owned(),
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
        api: Api,
        env: Env,
        openid: &str,
        bill_no: &str,
        change: Change,
        balance_after: i64,
    ) -> u64 {
        let seq = self.effects.len() as u64 + 1;
        let effect = Effect {
            seq,
            api,
            env,
            openid: openid.to_owned(),
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

    struct Books(Ledger);

    impl Books {
        fn new() -> Self {
            let mut ledger = Ledger::default();
            ledger.open("p1", 100);
            Self(ledger)
        }

        /// Applies `op` for `p1` in the sandbox, the fingerprint tagged `tag`.
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
            let entry = Entry {
                api,
                env,
                openid: Some(openid.to_owned()),
                op,
                fingerprint: vec![("tag".to_owned(), tag.to_owned())],
            };
            self.0.apply(&entry)
        }

        fn balance(&self) -> Balance {
            self.0.balance(Env::Sandbox, "p1").unwrap_or_default()
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
            let balance = books.0.balance(env, "p1");
            assert_eq!(balance.map(|b| (b.balance, b.save_amt, b.first_save)), Some((100, 100, false)));
        }
        assert_eq!(books.0.balance(Env::Sandbox, "p2"), None);
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
        assert_eq!(books.0.balance(Env::Production, "p1").map(|b| b.balance), Some(100));
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
        books.0.open("p2", 100);
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
        books.0.open("p2", 100);
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
}
