//! Login codes (what `wx.login` hands the game) and the session keys `code2session` issues.

use std::collections::HashMap;

use midas_core::SessionKey;

use crate::answer::Rejection;

/// One code: whose it is, and whether it was exchanged already.
#[derive(Debug)]
struct Code {
    openid: String,
    used: bool,
}

/// The login codes a test registered, and the source of new session keys.
#[derive(Debug)]
pub(crate) struct LoginCodes {
    codes: HashMap<String, Code>,
    issued_codes: u64,
    /// The state of the session-key sequence, from the seed.
    key_state: u64,
}

impl LoginCodes {
    pub(crate) fn new(seed: u64) -> Self {
        Self { codes: HashMap::new(), issued_codes: 0, key_state: seed ^ 0x5345_5353_494f_4e4b }
    }

    /// A new code for `openid`, `emulator-code-<n>`.
    pub(crate) fn issue(&mut self, openid: String) -> String {
        self.issued_codes += 1;
        let code = format!("emulator-code-{}", self.issued_codes);
        self.register(code.clone(), openid);
        code
    }

    /// Registers `code` for `openid`; a code registered again is fresh again.
    pub(crate) fn register(&mut self, code: String, openid: String) {
        self.codes.insert(code, Code { openid, used: false });
    }

    /// Uses `code` up: the player's openid, or 40029 (unknown) / 40163 (used before).
    pub(crate) fn redeem(&mut self, code: &str) -> Result<String, Rejection> {
        match self.codes.get_mut(code) {
            None => Err(Rejection::new(40029, "invalid code")),
            Some(code) if code.used => Err(Rejection::new(40163, "code been used")),
            Some(code) => {
                code.used = true;
                Ok(code.openid.clone())
            }
        }
    }

    /// A new session key: 16 bytes, base64, like WeChat's.
    pub(crate) fn new_session_key(&mut self) -> SessionKey {
        let mut bytes = [0_u8; 16];
        for half in bytes.chunks_exact_mut(8) {
            half.copy_from_slice(&self.next().to_le_bytes());
        }
        SessionKey::new(base64(&bytes)).expect("16 bytes encode to 24 characters, never empty")
    }

    /// splitmix64: enough to make keys differ; they are test secrets, not real ones.
    fn next(&mut self) -> u64 {
        self.key_state = self.key_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.key_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_used_once_and_an_unknown_one_is_refused() {
        let mut codes = LoginCodes::new(0);
        let code = codes.issue("p1".to_owned());
        assert_eq!(codes.redeem(&code), Ok("p1".to_owned()));
        assert_eq!(codes.redeem(&code).map_err(|r| r.errcode), Err(40163));
        assert_eq!(codes.redeem("other").map_err(|r| r.errcode), Err(40029));
    }

    #[test]
    fn session_keys_are_24_characters_of_base64_and_differ() {
        assert_eq!(base64(b"\x00\x01\x02\x03"), "AAECAw==");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        let mut codes = LoginCodes::new(7);
        let (first, second) = (codes.new_session_key(), codes.new_session_key());
        assert_eq!(first.expose_secret().len(), 24);
        assert!(first.expose_secret().ends_with("=="));
        assert_ne!(first.expose_secret(), second.expose_secret());
    }
}
