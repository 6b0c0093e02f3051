//! Any bytes as a received Midas body: the verifier reads it or refuses it with a typed error,
//! never panics, and accepts only a signature the signer would produce.

#![no_main]

use libfuzzer_sys::fuzz_target;
use midas_core::verify::ReceivedParams;
use midas_core::{AppKey, SessionKey};

const ORG_LOC: &str = "/cgi-bin/midas/sandbox/pay";

fuzz_target!(|data: &[u8]| {
    let key = AppKey::new("fuzz-app-key").expect("not empty");
    let session_key = SessionKey::new("fuzz-session-key").expect("not empty");
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice::<serde_json::Value>(data) else {
        // Not an object: also feed the text as name=value lines, the other way in.
        let text = String::from_utf8_lossy(data);
        let pairs = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let params = ReceivedParams::from_pairs(pairs);
        let sig = params.get("sig").unwrap_or_default().to_owned();
        let _ = params.verify_sig(ORG_LOC, &key, &sig);
        let _ = params.verify_mp_sig(ORG_LOC, "token", &sig, &session_key, &sig);
        return;
    };
    let Ok(params) = ReceivedParams::from_json(&body) else { return };
    let sig = body.get("sig").and_then(serde_json::Value::as_str).unwrap_or_default();
    let mp_sig = body.get("mp_sig").and_then(serde_json::Value::as_str).unwrap_or_default();
    let accepted = params.verify_sig(ORG_LOC, &key, sig).is_ok();
    // A random body almost never carries a valid signature; when it does, it must be the
    // lowercase hex of 32 bytes.
    if accepted {
        assert!(sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
    let _ = params.verify_mp_sig(ORG_LOC, "token", sig, &session_key, mp_sig);
    let _ = params.verify_sig("", &key, "");
});
