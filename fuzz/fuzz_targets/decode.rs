//! Any bytes as a Midas answer: decoding returns a typed result and never panics; a non-zero
//! `errcode` is always an API error, and a success always had `errcode` 0.

#![no_main]

use libfuzzer_sys::fuzz_target;
use midas_api::{CancelPay, GetBalance, MidasRequest, Pay, Present};
use midas_core::{Error, decode};

fn check<R: MidasRequest>(data: &[u8]) {
    let errcode = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|value| value.get("errcode").and_then(serde_json::Value::as_i64));
    match decode::<R::Response>(R::API, data, |code| R::SCHEME.classify(code), Some(("bill_no", "fuzz-order"))) {
        Ok(_) => assert_eq!(errcode, Some(0), "a success needs errcode 0"),
        Err(Error::Api(api)) => {
            assert_ne!(api.errcode(), 0, "errcode 0 is never an API error");
            assert_eq!(Some(api.errcode()), errcode);
        }
        Err(Error::Decode(decode)) => {
            // Only a body whose errcode is 0 can have succeeded.
            assert!(!decode.succeeded() || errcode == Some(0));
        }
        Err(other) => panic!("decoding gives only API or decode errors, got {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check::<Present>(data);
    check::<Pay>(data);
    check::<CancelPay>(data);
    check::<GetBalance>(data);
});
