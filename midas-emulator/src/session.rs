//! Login sessions: the `session_key` of each logged-in player, and the few keys it had before,
//! so that a `signature` made with a replaced key reads as an expired session rather than as
//! a forged signature.

use std::collections::{HashMap, VecDeque};

use midas_core::SessionKey;
use midas_core::body_signed::verify_signature;

/// How many replaced keys are remembered per player.
const RETIRED_PER_PLAYER: usize = 4;

/// Why a `signature` was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionProblem {
    /// The player is not logged in (never was, or logged out).
    NoSession,
    /// The signature was made with one of the player's replaced session keys.
    Expired,
    /// The signature matches no session key of the player.
    Mismatch,
}

/// The session keys of the players.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    current: HashMap<String, SessionKey>,
    retired: HashMap<String, VecDeque<SessionKey>>,
}

impl Sessions {
    /// Logs the player in with `session_key`; a previous key is retired.
    pub(crate) fn log_in(&mut self, openid: String, session_key: SessionKey) {
        if let Some(previous) = self.current.insert(openid.clone(), session_key) {
            self.retire(openid, previous);
        }
    }

    /// Logs the player out; its key is retired.
    pub(crate) fn log_out(&mut self, openid: &str) {
        if let Some(previous) = self.current.remove(openid) {
            self.retire(openid.to_owned(), previous);
        }
    }

    /// The player's session key, when logged in.
    pub(crate) fn current(&self, openid: &str) -> Option<&SessionKey> {
        self.current.get(openid)
    }

    /// Checks a body `signature` against the player's session key.
    pub(crate) fn verify(&self, openid: &str, body: &[u8], signature: &str) -> Result<(), SessionProblem> {
        let retired = || self.retired.get(openid).into_iter().flatten();
        match self.current(openid) {
            Some(key) if verify_signature(key, body, signature).is_ok() => Ok(()),
            _ if retired().any(|key| verify_signature(key, body, signature).is_ok()) => {
                Err(SessionProblem::Expired)
            }
            Some(_) => Err(SessionProblem::Mismatch),
            None => Err(SessionProblem::NoSession),
        }
    }

    fn retire(&mut self, openid: String, session_key: SessionKey) {
        let retired = self.retired.entry(openid).or_default();
        if retired.len() == RETIRED_PER_PLAYER {
            retired.pop_front();
        }
        retired.push_back(session_key);
    }
}

#[cfg(test)]
mod tests {
    use midas_core::body_signed::signature;

    use super::*;

    fn key(text: &str) -> SessionKey {
        SessionKey::new(text).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn a_replaced_or_logged_out_key_reads_as_expired() {
        let body = br#"{"openid":"p1"}"#;
        let signed_with = |text: &str| signature(&key(text), body);
        let mut sessions = Sessions::default();
        assert_eq!(sessions.verify("p1", body, signed_with("k1").as_str()), Err(SessionProblem::NoSession));
        sessions.log_in("p1".into(), key("k1"));
        assert_eq!(sessions.verify("p1", body, signed_with("k1").as_str()), Ok(()));
        sessions.log_in("p1".into(), key("k2"));
        assert_eq!(sessions.verify("p1", body, signed_with("k1").as_str()), Err(SessionProblem::Expired));
        assert_eq!(sessions.verify("p1", body, signed_with("k9").as_str()), Err(SessionProblem::Mismatch));
        sessions.log_out("p1");
        assert_eq!(sessions.verify("p1", body, signed_with("k2").as_str()), Err(SessionProblem::Expired));
        assert_eq!(sessions.verify("p1", body, signed_with("k9").as_str()), Err(SessionProblem::NoSession));
    }
}
