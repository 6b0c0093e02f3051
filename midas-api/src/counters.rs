//! Coin counters as a checksum of the journal: a player's cumulative totals from getbalance
//! must move by what the journal says was applied.

use midas_journal::{Entry, State};
use serde::Deserialize;

use crate::v1::GetBalanceResponse;

/// The cumulative counters of a wallet that money calls move: coins gifted (`present_sum`)
/// and coins spent (`cost_sum`, cancelled and refunded deductions given back).
///
/// ```
/// use midas_api::Counters;
/// let before = Counters { present_sum: 20, cost_sum: 5 };
/// assert_eq!(before.present_sum + 10, 30);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counters {
    /// Coins received as gifts in total.
    pub present_sum: i64,
    /// Coins spent in total.
    pub cost_sum: i64,
}

impl Counters {
    /// The counters of a getbalance answer.
    pub fn of(balance: &GetBalanceResponse) -> Self {
        Self { present_sum: balance.present_sum, cost_sum: balance.cost_sum }
    }
}

/// One player's counters against the journal: [`Self::agrees`] when the counters moved from
/// the baseline by exactly what the journal says was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CounterCheck {
    /// The player.
    pub openid: String,
    /// The zone.
    pub zone_id: String,
    /// The counters when journaling began (the caller's snapshot).
    pub baseline: Counters,
    /// Gifted coins the journal records as applied since.
    pub journal_presented: i128,
    /// Spent coins the journal records as applied since (cancellations and refunds
    /// subtracted).
    pub journal_spent: i128,
    /// The counters now.
    pub actual: Counters,
    /// Journal entries still open (pending or unknown): while there are any, a difference
    /// may be theirs.
    pub open_entries: usize,
}

impl CounterCheck {
    /// Whether the counters moved by exactly what the journal says.
    pub fn agrees(&self) -> bool {
        i128::from(self.actual.present_sum) - i128::from(self.baseline.present_sum) == self.journal_presented
            && i128::from(self.actual.cost_sum) - i128::from(self.baseline.cost_sum) == self.journal_spent
    }
}

#[derive(Deserialize)]
struct BillNo {
    bill_no: String,
}

/// What the applied entries of one player say about the counters: (gifted, spent). Sums are
/// `i128`, so no count of `i64` amounts overflows.
pub(crate) fn journal_movement(entries: &[Entry]) -> (i128, i128) {
    let applied = |entry: &&Entry| matches!(entry.state, State::Applied | State::Settled);
    let amount = |entry: &Entry| i128::from(entry.intent.amount.unwrap_or(0));
    let (mut presented, mut spent) = (0_i128, 0_i128);
    for entry in entries.iter().filter(applied) {
        match (entry.intent.generation.as_str(), entry.intent.api.as_str()) {
            (_, "present" | "present_currency") => presented += amount(entry),
            (_, "pay" | "currency_pay") => spent += amount(entry),
            // Midas 1.0 cancels the whole pay named by its bill_no.
            ("v1", "cancelpay") => {
                let pay = serde_json::from_str::<BillNo>(&entry.intent.fields).ok().and_then(|cancel| {
                    entries.iter().find(|other| {
                        other.intent.generation == "v1"
                            && other.intent.api == "pay"
                            && other.intent.order_id == cancel.bill_no
                    })
                });
                spent -= pay.map_or(0, amount);
            }
            (_, "cancelpay" | "cancel_currency_pay") => spent -= amount(entry),
            _ => {}
        }
    }
    (presented, spent)
}
