//! Any bytes as a push: the opener refuses with a typed error or opens, never panics; and any
//! text sealed by the sending side opens back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use midas_push::{ManualClock, Mode, Opener, PushConfig, PushError, Seal};

const NOW: i64 = 1_714_112_445;

fn config(mode: Mode) -> PushConfig {
    PushConfig::builder()
        .token("AAAAA")
        .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .app_id("wxba5fad812f8e6fb9")
        .mode(mode)
        .app_key_production("fuzz-production-key")
        .app_key_sandbox("fuzz-sandbox-key")
        .build()
        .expect("a valid fixed configuration")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let mode = match selector % 3 {
        0 => Mode::Plaintext,
        1 => Mode::Compatible,
        _ => Mode::Safe,
    };
    // Raw: the first line is the query string, the rest the body.
    let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let query = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default();
    let opener = Opener::new(config(mode)).with_clock(ManualClock::new(NOW));
    let _ = opener.open_raw(&query, body);

    // Sealed: the whole input as a message round-trips, or is refused only as malformed.
    let message = String::from_utf8_lossy(rest);
    let config = config(mode);
    let Ok(sealed) = Seal::new(&message, NOW, "fuzz").seal(&config) else { return };
    let opener = Opener::new(config).with_clock(ManualClock::new(NOW));
    match opener.open_raw(&sealed.query, &sealed.body) {
        Ok(push) => assert_eq!(push.message(), message),
        Err(PushError::Malformed(_) | PushError::MissingAppKey(_) | PushError::BadSignature(_)) => {}
        Err(other) => panic!("a sealed message was refused: {other:?}"),
    }
});
