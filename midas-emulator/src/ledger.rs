//! The books: one account per player and environment, the orders by `bill_no`, and the record
//! of every effect applied.

use std::collections::HashMap;

use midas_core::Env;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Api;
use crate::check::{Order, Rejection};

/// A player's account in one environment, as `getbalance` reports it.
///
/// `balance` includes the gifted coins (`gen_balance`); `save_sum` is the emulator's reading of
/// "historical total coins": everything ever topped up or gifted (`save_amt + present_sum`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// Game coins, gifted ones included.
    pub balance: i64,
    /// Gifted coins.
    pub gen_balance: i64,
    /// Whether the player has never topped up (qualifies for a first top-up). Sent as `1` or
    /// `0`, the form real answers carry (the documentation says boolean; clients accept both).
    #[serde(serialize_with = "flag_as_integer")]
    pub first_save: bool,
    /// Coins topped up in total (the starting balance of a registered player).
    pub save_amt: i64,
    /// Coins ever received: `save_amt + present_sum`.
    pub save_sum: i64,
    /// Coins spent in total (cancelled deductions are given back).
    pub cost_sum: i64,
    /// Coins received as gifts in total.
    pub present_sum: i64,
}

fn flag_as_integer<S: serde::Serializer>(flag: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(u8::from(*flag))
}

/// A change applied to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `present`: gifted coins added.
    Present {
        /// Coins gifted.
        present_counts: i64,
    },
    /// `pay`: coins deducted, gifted ones first.
    Pay {
        /// Coins deducted.
        amt: i64,
        /// How many of them were gifted coins.
        used_gen_amt: i64,
    },
    /// `cancelpay`: a deduction given back.
    CancelPay {
        /// Coins given back.
        amt: i64,
        /// How many of them go back to the gifted coins.
        restored_gen_amt: i64,
    },
}

impl Change {
    /// The API that made the change.
    pub const fn api(&self) -> Api {
        match self {
            Self::Present { .. } => Api::Present,
            Self::Pay { .. } => Api::Pay,
            Self::CancelPay { .. } => Api::CancelPay,
        }
    }
}

/// One applied effect, in the order they were applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// 1 for the first effect, then counting up.
    pub seq: u64,
    /// The environment of the account.
    pub env: Env,
    /// The player.
    pub openid: String,
    /// The order.
    pub bill_no: String,
    /// What changed.
    pub change: Change,
    /// The balance right after.
    pub balance_after: i64,
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
    Present,
    Pay { amt: i64, used_gen_amt: i64, answer: Value, cancelled: bool },
}

#[derive(Debug)]
struct Booking {
    openid: String,
    fingerprint: Vec<(String, String)>,
    booked: Booked,
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

    pub(crate) fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Serves one checked call: the success fields of the answer, or a refusal.
    pub(crate) fn apply(
        &mut self,
        env: Env,
        openid: &str,
        order: &Order,
        fingerprint: &[(String, String)],
    ) -> Result<Value, Rejection> {
        let account = *self.accounts.get(&(env, openid.to_owned())).ok_or_else(not_logged_in)?;
        match order {
            Order::GetBalance => {
                serde_json::to_value(account.report()).map_err(|_| Rejection::new(-1, "system error"))
            }
            Order::Present { bill_no, present_counts } => {
                let key = (env, bill_no.clone());
                if self.orders.contains_key(&key) {
                    return Err(order_exists());
                }
                let account = self.update(env, openid, |account| {
                    account.balance = account.balance.saturating_add(*present_counts);
                    account.gen_balance = account.gen_balance.saturating_add(*present_counts);
                    account.present_sum = account.present_sum.saturating_add(*present_counts);
                });
                let booking = Booking {
                    openid: openid.to_owned(),
                    fingerprint: fingerprint.to_vec(),
                    booked: Booked::Present,
                };
                self.orders.insert(key, booking);
                self.record(
                    env,
                    openid,
                    bill_no,
                    Change::Present { present_counts: *present_counts },
                    account.balance,
                );
                Ok(json!({ "balance": account.balance, "bill_no": bill_no }))
            }
            Order::Pay { bill_no, amt } => {
                let key = (env, bill_no.clone());
                if let Some(booking) = self.orders.get(&key) {
                    return match &booking.booked {
                        Booked::Pay { answer, .. }
                            if booking.openid == openid && booking.fingerprint == fingerprint =>
                        {
                            Ok(answer.clone())
                        }
                        _ => Err(order_exists()),
                    };
                }
                if account.balance < *amt {
                    return Err(Rejection::new(90013, "balance not enough"));
                }
                let used_gen_amt = account.gen_balance.clamp(0, *amt);
                let account = self.update(env, openid, |account| {
                    account.balance -= *amt;
                    account.gen_balance -= used_gen_amt;
                    account.cost_sum = account.cost_sum.saturating_add(*amt);
                });
                let answer =
                    json!({ "bill_no": bill_no, "balance": account.balance, "used_gen_amt": used_gen_amt });
                let booked =
                    Booked::Pay { amt: *amt, used_gen_amt, answer: answer.clone(), cancelled: false };
                let booking =
                    Booking { openid: openid.to_owned(), fingerprint: fingerprint.to_vec(), booked };
                self.orders.insert(key, booking);
                self.record(env, openid, bill_no, Change::Pay { amt: *amt, used_gen_amt }, account.balance);
                Ok(answer)
            }
            Order::CancelPay { bill_no } => {
                let booking =
                    self.orders.get_mut(&(env, bill_no.clone())).filter(|booking| booking.openid == openid);
                let Some(Booking { booked: Booked::Pay { amt, used_gen_amt, cancelled, .. }, .. }) = booking
                else {
                    return Err(Rejection::new(90000, "order not exist"));
                };
                if *cancelled {
                    return Err(Rejection::new(90015, "order already rolled back"));
                }
                *cancelled = true;
                let (amt, restored_gen_amt) = (*amt, *used_gen_amt);
                let account = self.update(env, openid, |account| {
                    account.balance = account.balance.saturating_add(amt);
                    account.gen_balance = account.gen_balance.saturating_add(restored_gen_amt);
                    account.cost_sum -= amt;
                });
                self.record(
                    env,
                    openid,
                    bill_no,
                    Change::CancelPay { amt, restored_gen_amt },
                    account.balance,
                );
                Ok(json!({ "bill_no": bill_no }))
            }
        }
    }

    /// Changes the account (known to exist) and returns it as it is afterwards.
    fn update(&mut self, env: Env, openid: &str, change: impl FnOnce(&mut Account)) -> Account {
        let account = self.accounts.entry((env, openid.to_owned())).or_default();
        change(account);
        *account
    }

    fn record(&mut self, env: Env, openid: &str, bill_no: &str, change: Change, balance_after: i64) {
        let seq = self.effects.len() as u64 + 1;
        let effect = Effect {
            seq,
            env,
            openid: openid.to_owned(),
            bill_no: bill_no.to_owned(),
            change,
            balance_after,
        };
        self.effects.push(effect);
    }
}

fn not_logged_in() -> Rejection {
    Rejection::new(90010, "user not logged in or login expired")
}

fn order_exists() -> Rejection {
    Rejection::new(90012, "order already exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(tag: &str) -> Vec<(String, String)> {
        vec![("tag".to_owned(), tag.to_owned())]
    }

    fn pay(bill_no: &str, amt: i64) -> Order {
        Order::Pay { bill_no: bill_no.to_owned(), amt }
    }

    fn present(bill_no: &str, present_counts: i64) -> Order {
        Order::Present { bill_no: bill_no.to_owned(), present_counts }
    }

    fn cancel(bill_no: &str) -> Order {
        Order::CancelPay { bill_no: bill_no.to_owned() }
    }

    fn errcode(result: Result<Value, Rejection>) -> i64 {
        result.err().map_or(0, |rejection| rejection.errcode)
    }

    fn ledger() -> Ledger {
        let mut ledger = Ledger::default();
        ledger.open("p1", 100);
        ledger
    }

    #[test]
    fn a_registered_player_starts_with_topped_up_coins_in_both_environments() {
        let ledger = ledger();
        for env in [Env::Production, Env::Sandbox] {
            let balance = ledger.balance(env, "p1");
            assert_eq!(balance.map(|b| (b.balance, b.save_amt, b.first_save)), Some((100, 100, false)));
        }
        assert_eq!(ledger.balance(Env::Sandbox, "p2"), None);
    }

    #[test]
    fn pay_spends_gifted_coins_first() {
        let mut ledger = ledger();
        ledger.apply(Env::Sandbox, "p1", &present("g1", 30), &fingerprint("g1")).ok();
        let answer = ledger.apply(Env::Sandbox, "p1", &pay("b1", 50), &fingerprint("b1"));
        assert_eq!(answer.ok(), Some(json!({ "bill_no": "b1", "balance": 80, "used_gen_amt": 30 })));
        let balance = ledger.balance(Env::Sandbox, "p1").unwrap_or_default();
        assert_eq!(
            (balance.balance, balance.gen_balance, balance.cost_sum, balance.present_sum),
            (80, 0, 50, 30)
        );
        assert_eq!(balance.save_sum, 130);
    }

    #[test]
    fn environments_keep_separate_books() {
        let mut ledger = ledger();
        ledger.apply(Env::Sandbox, "p1", &pay("b1", 40), &fingerprint("b1")).ok();
        assert_eq!(ledger.balance(Env::Production, "p1").map(|b| b.balance), Some(100));
        // The same bill_no is free in the other environment.
        assert_eq!(errcode(ledger.apply(Env::Production, "p1", &pay("b1", 40), &fingerprint("b1"))), 0);
    }

    #[test]
    fn the_same_pay_again_answers_the_first_result_without_deducting() {
        let mut ledger = ledger();
        let first = ledger.apply(Env::Sandbox, "p1", &pay("b1", 40), &fingerprint("b1"));
        let again = ledger.apply(Env::Sandbox, "p1", &pay("b1", 40), &fingerprint("b1"));
        assert_eq!(first.ok(), again.ok());
        assert_eq!(ledger.balance(Env::Sandbox, "p1").map(|b| b.balance), Some(60));
        assert_eq!(ledger.effects().len(), 1);
    }

    #[test]
    fn a_reused_bill_no_for_another_order_is_refused() {
        let mut ledger = ledger();
        ledger.open("p2", 100);
        ledger.apply(Env::Sandbox, "p1", &pay("b1", 40), &fingerprint("b1")).ok();
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &pay("b1", 41), &fingerprint("other"))), 90012);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p2", &pay("b1", 40), &fingerprint("b1"))), 90012);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &present("b1", 5), &fingerprint("b1"))), 90012);
        ledger.apply(Env::Sandbox, "p1", &present("g1", 5), &fingerprint("g1")).ok();
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &present("g1", 5), &fingerprint("g1"))), 90012);
        assert_eq!(ledger.effects().len(), 2);
    }

    #[test]
    fn pay_beyond_the_balance_is_refused_and_leaves_the_bill_no_free() {
        let mut ledger = ledger();
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &pay("b1", 101), &fingerprint("b1"))), 90013);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &pay("b1", 100), &fingerprint("b1"))), 0);
        assert_eq!(ledger.balance(Env::Sandbox, "p1").map(|b| b.balance), Some(0));
    }

    #[test]
    fn cancelpay_gives_a_deduction_back_once() {
        let mut ledger = ledger();
        ledger.apply(Env::Sandbox, "p1", &present("g1", 10), &fingerprint("g1")).ok();
        ledger.apply(Env::Sandbox, "p1", &pay("b1", 25), &fingerprint("b1")).ok();
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &cancel("b1"), &fingerprint("c"))), 0);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &cancel("b1"), &fingerprint("c"))), 90015);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &cancel("nope"), &fingerprint("c"))), 90000);
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "p1", &cancel("g1"), &fingerprint("c"))), 90000);
        let balance = ledger.balance(Env::Sandbox, "p1").unwrap_or_default();
        assert_eq!((balance.balance, balance.gen_balance, balance.cost_sum), (110, 10, 0));
        let changes: Vec<_> = ledger.effects().iter().map(|effect| effect.change.clone()).collect();
        assert_eq!(
            changes,
            [
                Change::Present { present_counts: 10 },
                Change::Pay { amt: 25, used_gen_amt: 10 },
                Change::CancelPay { amt: 25, restored_gen_amt: 10 },
            ]
        );
    }

    #[test]
    fn unknown_players_are_not_logged_in() {
        let mut ledger = ledger();
        assert_eq!(errcode(ledger.apply(Env::Sandbox, "stranger", &Order::GetBalance, &[])), 90010);
    }
}
