//! The stages of [`Opener::open`](crate::Opener::open) on their own, for the `open` bench to
//! time each alone. Not a public API: it changes without notice.

use std::borrow::Cow;

use crate::{Event, PushError};

/// `Encrypt` of an encrypted body, read as the opener reads it.
pub fn outer_encrypt(body: &[u8]) -> Result<Cow<'_, str>, PushError> {
    Ok(crate::body::encrypt(body)?.1)
}

/// The typed event of a decrypted message, decoded as the opener decodes it (a mini-game
/// `PayEventSig` is not checked).
pub fn typed(message: &str) -> Result<Event, PushError> {
    crate::decode::typed(message)
}
