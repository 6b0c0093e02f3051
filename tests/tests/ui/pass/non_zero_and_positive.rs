//! `#[midas(non_zero)]` and `#[midas(positive)]` on integers and on `Option`s of integers: an
//! absent optional is not checked.

use midas_api::{midas_api, MidasRequest, Rule};

#[derive(Debug, serde::Deserialize)]
pub struct Ack {
    pub balance: i64,
}

#[midas_api(path = "/cgi-bin/midas/adjust", response = Ack)]
#[derive(Clone, Copy)]
pub struct Adjust {
    #[midas(non_zero)]
    pub delta: i64,
    #[midas(positive)]
    pub count: i32,
    #[midas(non_zero)]
    pub limit: Option<u64>,
    #[midas(positive)]
    pub level: Option<i16>,
    #[midas(non_zero, positive)]
    pub both: u8,
}

fn refusal(adjust: Adjust) -> (&'static str, Rule) {
    let err = adjust.validate().expect_err("a rule is broken");
    (err.field(), err.rule().clone())
}

fn main() {
    let ok = Adjust { delta: -5, count: 1, limit: Some(1), level: Some(1), both: 1 };
    assert_eq!(ok.validate(), Ok(()));
    assert_eq!(Adjust { limit: None, level: None, ..ok }.validate(), Ok(()));

    assert_eq!(refusal(Adjust { delta: 0, ..ok }), ("delta", Rule::NonZero));
    assert_eq!(refusal(Adjust { count: 0, ..ok }), ("count", Rule::Positive));
    assert_eq!(refusal(Adjust { count: -1, ..ok }), ("count", Rule::Positive));
    assert_eq!(refusal(Adjust { limit: Some(0), ..ok }), ("limit", Rule::NonZero));
    assert_eq!(refusal(Adjust { level: Some(-3), ..ok }), ("level", Rule::Positive));
    assert_eq!(refusal(Adjust { both: 0, ..ok }), ("both", Rule::NonZero));
}
