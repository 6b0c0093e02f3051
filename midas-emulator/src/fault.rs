//! Faults on demand: scripted for the next calls, or drawn with a seeded probability.
//!
//! A fault is taken only by a call that passed every check (token, parameters, signatures,
//! player), so a fault always hits a request that would otherwise have been served.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::Api;

/// What goes wrong with one call.
///
/// ```
/// use std::time::Duration;
/// use midas_emulator::{Fault, FaultKind};
/// assert_eq!(Fault::DelayAfter(Duration::from_secs(1)).kind(), FaultKind::DelayAfter);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// How many faults of each kind were injected so far.
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

/// Probabilities of each fault per call, drawn from a generator seeded by the builder's
/// `seed`: the same seed and the same sequence of calls give the same faults.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fault rates must each be between 0 and 1 and add up to at most 1")]
pub struct InvalidRates;

/// The faults still to come and the ones injected so far.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    any_api: VecDeque<Fault>,
    per_api: HashMap<Api, VecDeque<Fault>>,
    rates: FaultRates,
    random: SplitMix64,
    counts: FaultCounts,
}

impl FaultPlan {
    pub(crate) fn new(rates: FaultRates, seed: u64) -> Self {
        Self {
            any_api: VecDeque::new(),
            per_api: HashMap::new(),
            rates,
            random: SplitMix64(seed),
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

    /// The fault for this call of `api`, counted: first the queue of `api`, then the queue of
    /// any API, then a draw (one number per call while any rate is set).
    pub(crate) fn next(&mut self, api: Api) -> Option<Fault> {
        let scripted = self.queue(api).pop_front().or_else(|| self.any_api.pop_front());
        let fault = match scripted {
            Some(fault) => Some(fault),
            None if self.rates.is_zero() => None,
            None => {
                let draw = self.random.next_unit();
                self.rates.pick(draw)
            }
        };
        if let Some(fault) = fault {
            self.counts.add(fault.kind());
        }
        fault
    }

    fn queue(&mut self, api: Api) -> &mut VecDeque<Fault> {
        self.per_api.entry(api).or_default()
    }
}

/// SplitMix64: tiny, fast, and fully determined by its seed, which is all a test needs.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `0..1` from the top 53 bits.
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_for_an_api_come_before_faults_for_any_api() {
        let mut plan = FaultPlan::new(FaultRates::default(), 1);
        plan.push(None, Fault::BusyBefore);
        plan.push(Some(Api::Pay), Fault::DropAfter);
        assert_eq!(plan.next(Api::Present), Some(Fault::BusyBefore));
        assert_eq!(plan.next(Api::Present), None);
        assert_eq!(plan.next(Api::Pay), Some(Fault::DropAfter));
        assert_eq!(plan.next(Api::Pay), None);
        plan.push(Some(Api::V2Pay), Fault::BusyAfter);
        assert_eq!(plan.next(Api::Pay), None, "Midas 1.0 pay is another API than Midas 2.0 pay");
        assert_eq!(plan.pending(), 1);
        assert_eq!(plan.next(Api::V2Pay), Some(Fault::BusyAfter));
        assert_eq!(
            plan.counts(),
            FaultCounts { busy_before: 1, busy_after: 1, drop_after: 1, ..FaultCounts::default() }
        );
    }

    #[test]
    fn drawn_faults_are_the_same_for_the_same_seed() {
        let rates =
            FaultRates { busy_before: 0.2, busy_after: 0.2, drop_after: 0.1, ..FaultRates::default() };
        let run = |seed| {
            let mut plan = FaultPlan::new(rates, seed);
            (0..200).map(|_| plan.next(Api::Pay)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let faults = run(7).into_iter().flatten().count();
        assert!((60..=140).contains(&faults), "about half of 200 calls fail, got {faults}");
    }

    #[test]
    fn no_rates_draw_nothing() {
        let mut plan = FaultPlan::new(FaultRates::default(), 3);
        assert!((0..100).all(|_| plan.next(Api::GetBalance).is_none()));
        assert_eq!(plan.counts().total(), 0);
    }
}
