//! Faults on demand: scripted for the next calls, or drawn with a seeded probability.
//!
//! A fault is taken only by a call that passed every check (token, parameters, signatures,
//! player), so a fault always hits a request that would otherwise have been served.
//!
//! Seeded draws are a pure function of (seed, call, attempt): see [`FaultRates`] for what that
//! fixes and what can still vary between runs.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use midas_core::Env;

use crate::Api;

/// What goes wrong with one call.
///
/// Queue one with [`Emulator::inject`](crate::Emulator::inject) or
/// [`Emulator::inject_for`](crate::Emulator::inject_for), or draw them with [`FaultRates`].
///
/// ```
/// use std::time::Duration;
/// use midas_emulator::{Fault, FaultKind};
/// assert!(!Fault::BusyBefore.applies(), "refused before the books");
/// assert!(Fault::DropAfter.applies(), "applied, then the answer is lost");
/// assert_eq!(Fault::DelayAfter(Duration::from_secs(1)).kind(), FaultKind::DelayAfter);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answer `-1` (system busy) without applying anything.
    BusyBefore,
    /// Apply the call, then answer `-1` (system busy) instead of the result.
    BusyAfter,
    /// Apply the call, then close the connection without any answer.
    DropAfter,
    /// Apply the call, then wait this long before answering (longer than the client's
    /// timeout, so the client gives up first).
    DelayAfter(Duration),
}

impl Fault {
    /// The kind, without the delay.
    pub const fn kind(self) -> FaultKind {
        match self {
            Self::BusyBefore => FaultKind::BusyBefore,
            Self::BusyAfter => FaultKind::BusyAfter,
            Self::DropAfter => FaultKind::DropAfter,
            Self::DelayAfter(_) => FaultKind::DelayAfter,
        }
    }

    /// Whether the call is applied before the fault strikes.
    pub const fn applies(self) -> bool {
        !matches!(self, Self::BusyBefore)
    }
}

/// The kind of a [`Fault`], for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// [`Fault::BusyBefore`].
    BusyBefore,
    /// [`Fault::BusyAfter`].
    BusyAfter,
    /// [`Fault::DropAfter`].
    DropAfter,
    /// [`Fault::DelayAfter`].
    DelayAfter,
}

/// How many faults of each kind struck so far ([`Emulator::fault_counts`](crate::Emulator::fault_counts)).
///
/// ```
/// use midas_emulator::{FaultCounts, FaultKind};
/// let counts = FaultCounts { busy_after: 2, drop_after: 1, ..FaultCounts::default() };
/// assert_eq!((counts.of(FaultKind::BusyAfter), counts.total()), (2, 3));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// `-1` before applying.
    pub busy_before: u64,
    /// `-1` after applying.
    pub busy_after: u64,
    /// Connection closed after applying.
    pub drop_after: u64,
    /// Answer delayed after applying.
    pub delay_after: u64,
}

impl FaultCounts {
    /// All kinds together.
    pub const fn total(&self) -> u64 {
        self.busy_before + self.busy_after + self.drop_after + self.delay_after
    }

    /// The count of one kind.
    pub const fn of(&self, kind: FaultKind) -> u64 {
        match kind {
            FaultKind::BusyBefore => self.busy_before,
            FaultKind::BusyAfter => self.busy_after,
            FaultKind::DropAfter => self.drop_after,
            FaultKind::DelayAfter => self.delay_after,
        }
    }

    fn add(&mut self, kind: FaultKind) {
        let count = match kind {
            FaultKind::BusyBefore => &mut self.busy_before,
            FaultKind::BusyAfter => &mut self.busy_after,
            FaultKind::DropAfter => &mut self.drop_after,
            FaultKind::DelayAfter => &mut self.delay_after,
        };
        *count += 1;
    }
}

/// Probabilities of each fault per attempt of a call, drawn with the builder's `seed`.
///
/// # One seed, one fault schedule
///
/// A drawn fault is a pure function of the seed, the call and the attempt: the call is its API,
/// its environment and the order it books or is about (`bill_no`, `order_id`; a Midas 1.0
/// `cancelpay` is named by the pay's `bill_no`; a balance query by the player), and the
/// attempt counts the requests of that call that reached the fault stage, from 1. Concurrent
/// callers that interleave differently from run to run therefore meet the same faults at the
/// same attempts of the same calls. What can still vary between two runs of one seed:
///
/// - attempts that exist in one run only: a client that times out on a slow answer (no fault)
///   and retries, or a [`Fault::DelayAfter`] that does not outlast the client's timeout, makes
///   an extra attempt, and that attempt draws its own fault;
/// - what callers choose to do after a refusal that depends on their order (two callers
///   spending the same wallet), and so which later calls and attempts exist;
/// - balance queries: their attempts count the player's queries, so concurrent queries of one
///   player number their attempts in arrival order;
/// - scripted faults ([`crate::Emulator::inject`]) go to whichever call comes first.
///
/// Every fault that struck is recorded with its call and attempt:
/// [`crate::Emulator::fault_log`].
///
/// ```
/// use std::time::Duration;
/// use midas_emulator::FaultRates;
/// let rates = FaultRates { busy_after: 0.1, drop_after: 0.05, ..FaultRates::default() };
/// assert!(rates.validate().is_ok());
/// assert!(FaultRates { busy_before: 0.7, busy_after: 0.7, ..rates }.validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultRates {
    /// Chance of [`Fault::BusyBefore`].
    pub busy_before: f64,
    /// Chance of [`Fault::BusyAfter`].
    pub busy_after: f64,
    /// Chance of [`Fault::DropAfter`].
    pub drop_after: f64,
    /// Chance of [`Fault::DelayAfter`].
    pub delay_after: f64,
    /// The delay of a drawn [`Fault::DelayAfter`].
    pub delay: Duration,
}

impl Default for FaultRates {
    /// No faults; a drawn delay would last 10 s.
    fn default() -> Self {
        Self {
            busy_before: 0.0,
            busy_after: 0.0,
            drop_after: 0.0,
            delay_after: 0.0,
            delay: Duration::from_secs(10),
        }
    }
}

impl FaultRates {
    /// Checks that each rate is within 0..=1 and that they add up to at most 1.
    pub fn validate(&self) -> Result<(), InvalidRates> {
        let rates = self.rates();
        if rates.iter().any(|rate| !(0.0..=1.0).contains(rate)) || rates.iter().sum::<f64>() > 1.0 {
            return Err(InvalidRates);
        }
        Ok(())
    }

    fn rates(&self) -> [f64; 4] {
        [self.busy_before, self.busy_after, self.drop_after, self.delay_after]
    }

    fn is_zero(&self) -> bool {
        self.rates().iter().all(|rate| *rate == 0.0)
    }

    /// The fault a uniform number `draw` in `0..1` falls on.
    fn pick(&self, draw: f64) -> Option<Fault> {
        let faults = [Fault::BusyBefore, Fault::BusyAfter, Fault::DropAfter, Fault::DelayAfter(self.delay)];
        let mut upper = 0.0;
        for (rate, fault) in self.rates().into_iter().zip(faults) {
            upper += rate;
            if draw < upper {
                return Some(fault);
            }
        }
        None
    }
}

/// Fault rates outside `0..=1`, or adding up to more than 1.
///
/// ```
/// use midas_emulator::{FaultRates, InvalidRates};
/// let rates = FaultRates { busy_before: 1.5, ..FaultRates::default() };
/// assert_eq!(rates.validate(), Err(InvalidRates));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fault rates must each be between 0 and 1 and add up to at most 1")]
pub struct InvalidRates;

/// A fault that struck one attempt of one call, as [`crate::Emulator::fault_log`] lists them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// let emulator = midas_emulator::Emulator::start().await?;
/// assert!(emulator.fault_log().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FaultRecord {
    /// The API called.
    pub api: Api,
    /// The environment of the call.
    pub env: Env,
    /// What names the call across its attempts: the order it books or is about (`bill_no`,
    /// `order_id`; the pay's `bill_no` for a Midas 1.0 `cancelpay`), or the player's openid
    /// for a balance query.
    pub call: String,
    /// Which request of that call, from 1.
    pub attempt: u32,
    /// The fault.
    pub fault: Fault,
}

/// The faults still to come and the ones that struck so far.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    any_api: VecDeque<Fault>,
    per_api: HashMap<Api, VecDeque<Fault>>,
    rates: FaultRates,
    seed: u64,
    /// Requests seen per call, for the attempt numbers.
    attempts: HashMap<(Api, Env, String), u32>,
    log: Vec<FaultRecord>,
    counts: FaultCounts,
}

impl FaultPlan {
    pub(crate) fn new(rates: FaultRates, seed: u64) -> Self {
        Self {
            any_api: VecDeque::new(),
            per_api: HashMap::new(),
            rates,
            seed,
            attempts: HashMap::new(),
            log: Vec::new(),
            counts: FaultCounts::default(),
        }
    }

    /// Queues `fault` for the next call of `api`, or of any API when `api` is `None`.
    pub(crate) fn push(&mut self, api: Option<Api>, fault: Fault) {
        match api {
            None => self.any_api.push_back(fault),
            Some(api) => self.queue(api).push_back(fault),
        }
    }

    pub(crate) fn set_rates(&mut self, rates: FaultRates) {
        self.rates = rates;
    }

    pub(crate) fn clear(&mut self) {
        self.any_api.clear();
        self.per_api.clear();
    }

    pub(crate) fn pending(&self) -> usize {
        self.any_api.len() + self.per_api.values().map(VecDeque::len).sum::<usize>()
    }

    pub(crate) fn counts(&self) -> FaultCounts {
        self.counts
    }

    pub(crate) fn log(&self) -> &[FaultRecord] {
        &self.log
    }

    /// Counts this attempt of the call and picks its fault: first the queue of `api`, then
    /// the queue of any API, then a draw from (seed, call, attempt) while any rate is set.
    /// Nothing is counted as struck until [`Self::strike`].
    pub(crate) fn choose(&mut self, api: Api, env: Env, call: &str) -> Option<FaultRecord> {
        let attempt = self.attempts.entry((api, env, call.to_owned())).or_default();
        *attempt = attempt.saturating_add(1);
        let attempt = *attempt;
        let scripted = self.queue(api).pop_front().or_else(|| self.any_api.pop_front());
        let fault = match scripted {
            Some(fault) => Some(fault),
            None if self.rates.is_zero() => None,
            None => self.rates.pick(draw(self.seed, api, env, call, attempt)),
        };
        fault.map(|fault| FaultRecord { api, env, call: call.to_owned(), attempt, fault })
    }

    /// Records a chosen fault that struck the answer.
    pub(crate) fn strike(&mut self, record: FaultRecord) {
        self.counts.add(record.fault.kind());
        self.log.push(record);
    }

    fn queue(&mut self, api: Api) -> &mut VecDeque<Fault> {
        self.per_api.entry(api).or_default()
    }
}

/// A uniform number in `0..1` fixed by the seed, the call and the attempt: FNV-1a over the
/// call's name, then SplitMix64's finaliser over the seed, that hash and the attempt.
fn draw(seed: u64, api: Api, env: Env, call: &str, attempt: u32) -> f64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    let name = [api.path(env).as_bytes(), &[0, env.pick(0, 1)], call.as_bytes()];
    for byte in name.into_iter().flatten() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    let mixed = mix(mix(seed ^ mix(hash)) ^ u64::from(attempt));
    (mixed >> 11) as f64 / (1_u64 << 53) as f64
}

/// SplitMix64's finaliser: every bit of the input moves about half the bits of the output.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(plan: &mut FaultPlan, api: Api, call: &str) -> Option<Fault> {
        let record = plan.choose(api, Env::Sandbox, call)?;
        let fault = record.fault;
        plan.strike(record);
        Some(fault)
    }

    #[test]
    fn scripted_faults_for_an_api_come_before_faults_for_any_api() {
        let mut plan = FaultPlan::new(FaultRates::default(), 1);
        plan.push(None, Fault::BusyBefore);
        plan.push(Some(Api::Pay), Fault::DropAfter);
        assert_eq!(next(&mut plan, Api::Present, "g1"), Some(Fault::BusyBefore));
        assert_eq!(next(&mut plan, Api::Present, "g1"), None);
        assert_eq!(next(&mut plan, Api::Pay, "b1"), Some(Fault::DropAfter));
        assert_eq!(next(&mut plan, Api::Pay, "b1"), None);
        plan.push(Some(Api::V2Pay), Fault::BusyAfter);
        assert_eq!(next(&mut plan, Api::Pay, "b2"), None, "Midas 1.0 pay is another API than Midas 2.0 pay");
        assert_eq!(plan.pending(), 1);
        assert_eq!(next(&mut plan, Api::V2Pay, "b3"), Some(Fault::BusyAfter));
        assert_eq!(
            plan.counts(),
            FaultCounts { busy_before: 1, busy_after: 1, drop_after: 1, ..FaultCounts::default() }
        );
        let attempts: Vec<(&str, u32)> =
            plan.log().iter().map(|record| (record.call.as_str(), record.attempt)).collect();
        assert_eq!(attempts, [("g1", 1), ("b1", 1), ("b3", 1)]);
    }

    #[test]
    fn drawn_faults_are_the_same_for_the_same_seed() {
        let rates =
            FaultRates { busy_before: 0.2, busy_after: 0.2, drop_after: 0.1, ..FaultRates::default() };
        let run = |seed| {
            let mut plan = FaultPlan::new(rates, seed);
            (0..200).map(|call| next(&mut plan, Api::Pay, &format!("bill-{call}"))).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let faults = run(7).into_iter().flatten().count();
        assert!((60..=140).contains(&faults), "about half of 200 calls fail, got {faults}");
    }

    /// The schedule belongs to (seed, call, attempt), not to the order calls arrive in.
    #[test]
    fn fault_schedule_does_not_depend_on_the_order_of_calls() {
        let rates =
            FaultRates { busy_before: 0.2, busy_after: 0.2, drop_after: 0.1, ..FaultRates::default() };
        let calls: Vec<(String, u32)> =
            (0..100).flat_map(|call| (0..3).map(move |_| (format!("bill-{call}"), 0))).collect();
        let schedule = |order: &mut dyn Iterator<Item = &(String, u32)>| {
            let mut plan = FaultPlan::new(rates, 11);
            for (call, _) in order {
                let _ = next(&mut plan, Api::V2Pay, call);
            }
            let mut log: Vec<(String, u32, Fault)> =
                plan.log().iter().map(|record| (record.call.clone(), record.attempt, record.fault)).collect();
            log.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            log
        };
        let forward = schedule(&mut calls.iter());
        let backward = schedule(&mut calls.iter().rev());
        // Interleaved: every call's attempts still arrive in their own order.
        let (even, odd): (Vec<_>, Vec<_>) = calls.iter().enumerate().partition(|(index, _)| index % 2 == 0);
        let interleaved = schedule(&mut odd.into_iter().chain(even).map(|(_, call)| call));
        assert!(!forward.is_empty());
        assert_eq!(forward, backward);
        assert_eq!(forward, interleaved);
    }

    #[test]
    fn attempts_are_counted_per_call_and_api() {
        let mut plan = FaultPlan::new(FaultRates::default(), 0);
        for _ in 0..3 {
            plan.push(None, Fault::BusyBefore);
            let _ = next(&mut plan, Api::Pay, "b1");
        }
        plan.push(None, Fault::BusyBefore);
        let _ = next(&mut plan, Api::CancelPay, "b1");
        let attempts: Vec<(Api, u32)> =
            plan.log().iter().map(|record| (record.api, record.attempt)).collect();
        assert_eq!(attempts, [(Api::Pay, 1), (Api::Pay, 2), (Api::Pay, 3), (Api::CancelPay, 1)]);
    }

    #[test]
    fn no_rates_draw_nothing() {
        let mut plan = FaultPlan::new(FaultRates::default(), 3);
        assert!((0..100).all(|call| next(&mut plan, Api::GetBalance, &call.to_string()).is_none()));
        assert_eq!(plan.counts().total(), 0);
    }
}
