//! Secrets received in a request (the AppSecret, access tokens) compared with the expected ones
//! in constant time, so that how long a refusal takes tells nothing about how much of a guess
//! was right.
//!
//! The length is not hidden: `subtle` answers at once when the lengths differ, as every
//! constant-time comparison of byte strings does.

use subtle::ConstantTimeEq;

/// Whether `received` equals `expected`, in time that depends only on their lengths.
pub(crate) fn matches(expected: &str, received: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn only_the_same_bytes_match() {
        assert!(matches("emulator-app-secret", "emulator-app-secret"));
        assert!(!matches("emulator-app-secret", "emulator-app-secreT"));
        assert!(!matches("emulator-app-secret", "emulator-app-secret-longer"));
        assert!(!matches("emulator-app-secret", ""));
    }
}
