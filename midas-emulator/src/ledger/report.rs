//! What the books report: the wallets as `getbalance` reads them ([`Balance`]) and every
//! applied [`Effect`] with its [`Change`]. These are public: tests read them through
//! [`crate::Emulator::balance`] and [`crate::Emulator::effects`].

use midas_core::Env;
use serde::Serialize;

use crate::api::Api;

/// A player's wallet in one environment and zone, as `getbalance` reports it.
///
/// `balance` includes the gifted coins (`gen_balance`); `save_sum` is the emulator's reading of
/// "historical total coins": everything ever topped up or gifted (`save_amt + present_sum`).
/// Midas 2.0 and xpay name the same numbers `present_balance` (`gen_balance`), `sum_save`
/// (`save_amt`), `sum_present` (`present_sum`), `sum_balance` (`save_sum`) and `sum_cost`
/// (`cost_sum`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, Env, SessionKey};
/// let emulator = Emulator::start().await?;
/// emulator.add_player("player-1", SessionKey::new("key-1").expect("not empty"), 100);
/// let balance = emulator.balance(Env::Sandbox, "player-1").expect("registered");
/// assert_eq!((balance.balance, balance.save_amt, balance.first_save), (100, 100, false));
/// let other_zone = emulator.balance_in_zone(Env::Sandbox, "player-1", "2").expect("registered");
/// assert_eq!((other_zone.balance, other_zone.first_save), (0, true));
/// # Ok(()) }
/// ```
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
