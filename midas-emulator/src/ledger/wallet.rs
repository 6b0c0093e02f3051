//! Wallets: the coins of one player in one environment and one zone, as Midas keeps them, and
//! the checked arithmetic that changes them.
//!
//! Every change is computed on a copy and either fits in `i64` as a whole or is refused as a
//! whole ([`Overflow`]): a wallet is never left half changed, and nothing saturates (a present
//! at the limit must not answer success while its coins vanish).
//!
//! A wallet keeps `balance == save_amt + present_sum - cost_sum`, with
//! `0 <= gen_balance <= balance` and `cost_sum >= 0`.

use midas_core::Env;

use super::report::Balance;

/// The zone of the zone-less helpers ([`crate::Emulator::balance`],
/// [`crate::Emulator::add_player`]) and of every xpay call, which carries no `zone_id`: `"1"`,
/// the zone Midas documents for games without zones.
pub const DEFAULT_ZONE_ID: &str = "1";

/// Which wallet: environment, player, zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WalletKey {
    env: Env,
    openid: String,
    zone_id: String,
}

impl WalletKey {
    pub(crate) fn new(env: Env, openid: &str, zone_id: &str) -> Self {
        Self { env, openid: openid.to_owned(), zone_id: zone_id.to_owned() }
    }
}

/// A change that would take a number of the wallet out of `i64`: refused whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Overflow;

/// Why a pay cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PayProblem {
    NotEnough,
    Overflow,
}

/// The numbers of one wallet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Wallet {
    balance: i64,
    gen_balance: i64,
    save_amt: i64,
    cost_sum: i64,
    present_sum: i64,
}

impl Wallet {
    /// A wallet holding `starting_balance` topped-up coins (negative counts as 0).
    pub(crate) fn topped_up(starting_balance: i64) -> Self {
        let coins = starting_balance.max(0);
        Self { balance: coins, save_amt: coins, ..Self::default() }
    }

    pub(crate) fn balance(&self) -> i64 {
        self.balance
    }

    pub(crate) fn gen_balance(&self) -> i64 {
        self.gen_balance
    }

    pub(crate) fn report(&self) -> Balance {
        Balance {
            balance: self.balance,
            gen_balance: self.gen_balance,
            first_save: self.save_amt == 0,
            save_amt: self.save_amt,
            // Fits: `present` refuses what would take it out of range.
            save_sum: self.save_amt.saturating_add(self.present_sum),
            cost_sum: self.cost_sum,
            present_sum: self.present_sum,
        }
    }

    /// The wallet after `amount` gifted coins; refused when any number, `save_sum` included,
    /// would leave `i64`.
    pub(crate) fn present(self, amount: i64) -> Result<Self, Overflow> {
        let after = Self {
            balance: self.balance.checked_add(amount).ok_or(Overflow)?,
            gen_balance: self.gen_balance.checked_add(amount).ok_or(Overflow)?,
            present_sum: self.present_sum.checked_add(amount).ok_or(Overflow)?,
            ..self
        };
        after.save_amt.checked_add(after.present_sum).ok_or(Overflow)?;
        Ok(after)
    }

    /// The wallet after `amount` coins bought with money (a token recharge): topped up like
    /// the starting balance; refused when any number, `save_sum` included, would leave `i64`.
    pub(crate) fn recharge(self, amount: i64) -> Result<Self, Overflow> {
        if amount < 0 {
            return Err(Overflow);
        }
        let after = Self {
            balance: self.balance.checked_add(amount).ok_or(Overflow)?,
            save_amt: self.save_amt.checked_add(amount).ok_or(Overflow)?,
            ..self
        };
        after.save_amt.checked_add(after.present_sum).ok_or(Overflow)?;
        Ok(after)
    }

    /// The wallet after deducting `amount` coins, gifted ones first, and how many gifted coins
    /// were used.
    pub(crate) fn pay(self, amount: i64) -> Result<(Self, i64), PayProblem> {
        if amount < 0 {
            return Err(PayProblem::Overflow);
        }
        if self.balance < amount {
            return Err(PayProblem::NotEnough);
        }
        let used_gen_amt = self.gen_balance.clamp(0, amount);
        let after = Self {
            balance: self.balance.checked_sub(amount).ok_or(PayProblem::Overflow)?,
            gen_balance: self.gen_balance.checked_sub(used_gen_amt).ok_or(PayProblem::Overflow)?,
            cost_sum: self.cost_sum.checked_add(amount).ok_or(PayProblem::Overflow)?,
            ..self
        };
        Ok((after, used_gen_amt))
    }

    /// The wallet after `amount` coins of a deduction came back, `restored_gen_amt` of them
    /// gifted ones.
    pub(crate) fn give_back(self, amount: i64, restored_gen_amt: i64) -> Result<Self, Overflow> {
        if amount < 0 || restored_gen_amt < 0 || restored_gen_amt > amount {
            return Err(Overflow);
        }
        Ok(Self {
            balance: self.balance.checked_add(amount).ok_or(Overflow)?,
            gen_balance: self.gen_balance.checked_add(restored_gen_amt).ok_or(Overflow)?,
            cost_sum: self.cost_sum.checked_sub(amount).filter(|cost| *cost >= 0).ok_or(Overflow)?,
            ..self
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `balance == save_amt + present_sum - cost_sum`, gifted coins within the balance.
    fn consistent(wallet: Wallet) -> bool {
        let Wallet { balance, gen_balance, save_amt, cost_sum, present_sum } = wallet;
        i128::from(balance) == i128::from(save_amt) + i128::from(present_sum) - i128::from(cost_sum)
            && (0..=balance).contains(&gen_balance)
            && cost_sum >= 0
    }

    #[test]
    fn wallet_refuses_present_that_would_overflow() {
        let wallet = Wallet::topped_up(100);
        assert_eq!(wallet.present(i64::MAX), Err(Overflow));
        assert_eq!(wallet.present(i64::MAX - 99), Err(Overflow));
        assert_eq!(wallet.present(i64::MAX - 100).map(|full| full.balance), Ok(i64::MAX));
        let spent = Wallet::topped_up(100).pay(100).map(|(spent, _)| spent).unwrap_or_default();
        assert_eq!(spent.present(i64::MAX - 99), Err(Overflow), "save_sum would leave i64");
        let full = Wallet::topped_up(0).present(i64::MAX).unwrap_or_default();
        assert_eq!(full.balance, i64::MAX);
        assert_eq!(full.present(1), Err(Overflow));
        assert!(consistent(full));
    }

    #[test]
    fn wallet_refuses_give_back_that_would_overflow_or_drive_cost_sum_below_zero() {
        let (paid, used) = Wallet::topped_up(100).pay(40).unwrap_or_default();
        assert_eq!((paid.balance, used, paid.cost_sum), (60, 0, 40));
        assert_eq!(paid.give_back(41, 0), Err(Overflow), "more than was ever spent");
        let full = Wallet { balance: i64::MAX, save_amt: i64::MAX, cost_sum: 40, ..Wallet::default() };
        assert_eq!(full.give_back(1, 0), Err(Overflow));
        assert_eq!(paid.give_back(40, 0).map(consistent), Ok(true));
    }

    #[test]
    fn pay_beyond_the_balance_is_not_enough() {
        assert_eq!(Wallet::topped_up(10).pay(11), Err(PayProblem::NotEnough));
        assert_eq!(Wallet::topped_up(-5), Wallet::topped_up(0));
    }
}
