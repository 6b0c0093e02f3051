//! The `name=value&…` pairs of a Midas 1.0 signing string, written piece by piece into any
//! [`SignSink`]: the keyed HMAC state, a buffer, or the text shown when a signature is refused.

use hmac::Mac;

use crate::secret::HmacSha256;

/// The text that replaces every secret in a rendered signing string.
pub const MASK: &str = "***";

/// The two values that join the parameters of Midas 1.0's `mp_sig` (and only of `mp_sig`).
/// `Debug` shows the access token as `***`.
#[derive(Clone, Copy)]
pub struct MpExtra<'a> {
    /// The access token (also sent in the query string, never in the body).
    pub access_token: &'a str,
    /// The `sig` just computed.
    pub sig: &'a str,
}

impl core::fmt::Debug for MpExtra<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MpExtra").field("access_token", &MASK).field("sig", &self.sig).finish()
    }
}

/// Where `mp_sig`'s two extra pairs go among the pairs of `sig`: generated code marks both
/// places while it writes `sig`'s pairs (see [`Params::access_token`]), so that a sink that
/// kept those pairs can sign `mp_sig` from them without writing them again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Where `access_token` goes.
    AccessToken,
    /// Where `sig` goes.
    Sig,
}

/// Receives the bytes of a signing string, piece by piece.
pub trait SignSink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);

    /// Appends the bytes of a secret (a key, the access token): a sink that gathers pieces in
    /// a buffer hands these to the hash directly, so no copy of the secret is left behind.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn put_secret(&mut self, secret: &[u8]) {
        self.put(secret);
    }

    /// Notes where `slot` goes in the pairs being written, and whether it would be the first
    /// pair. Only a sink that keeps `sig`'s pairs for `mp_sig` cares; others ignore it.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn mark(&mut self, slot: Slot, first: bool) {
        let _ = (slot, first);
    }
}

impl SignSink for HmacSha256 {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl SignSink for Vec<u8> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A value that can be signed: raw UTF-8 for text, plain decimal for integers, and nothing at
/// all (not even the name) for an absent `Option`.
pub trait SignValue {
    /// Whether the pair is written at all.
    fn is_present(&self) -> bool {
        true
    }
    /// Writes the value's signing text.
    fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S);
}

impl SignValue for str {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.as_bytes());
    }
}

impl SignValue for String {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.as_bytes());
    }
}

impl<T: SignValue + ?Sized> SignValue for &T {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn is_present(&self) -> bool {
        (**self).is_present()
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S) {
        (**self).write_sign(sink);
    }
}

impl<T: SignValue> SignValue for Option<T> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(SignValue::is_present)
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S) {
        if let Some(value) = self {
            value.write_sign(sink);
        }
    }
}

macro_rules! sign_integer {
    ($($ty:ty),*) => {$(
        impl SignValue for $ty {
            #[cfg_attr(not(debug_assertions), inline(always))]
            #[cfg_attr(debug_assertions, inline)]
            fn write_sign<S: SignSink + ?Sized>(&self, sink: &mut S) {
                sink.put(itoa::Buffer::new().format(*self).as_bytes());
            }
        }
    )*};
}
sign_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Writes `k=v` pairs joined by `&` into a [`SignSink`]. Generated code calls [`Self::pair`] in
/// byte-wise order of the names; absent optionals are skipped entirely.
pub struct Params<'s, S: ?Sized> {
    sink: &'s mut S,
    first: bool,
}

impl<'s, S: SignSink + ?Sized> Params<'s, S> {
    /// Starts an empty parameter list.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn new(sink: &'s mut S) -> Self {
        Self { sink, first: true }
    }

    /// Writes `&name=value` (no `&` before the first pair), or nothing for an absent value.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn pair<V: SignValue + ?Sized>(&mut self, name: &str, value: &V) {
        if !value.is_present() {
            return;
        }
        if !self.first {
            self.sink.put(b"&");
        }
        self.first = false;
        self.sink.put(name.as_bytes());
        self.sink.put(b"=");
        value.write_sign(self.sink);
    }
}

impl<S: SignSink + ?Sized> Params<'_, S> {
    /// [`Self::pair`] with the name given as the literal `&name=`, written in one piece (the
    /// `&` is skipped before the first pair). Generated code calls this: the literal is built
    /// at compile time from the wire name.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn pair_literal<V: SignValue + ?Sized>(&mut self, amp_name_eq: &'static [u8], value: &V) {
        if !value.is_present() {
            return;
        }
        let piece = if self.first { amp_name_eq.get(1..).unwrap_or_default() } else { amp_name_eq };
        self.first = false;
        self.sink.put(piece);
        value.write_sign(self.sink);
    }
}

impl<S: SignSink + ?Sized> Params<'_, S> {
    /// `access_token=…`, written only for `mp_sig` (`mp` given); for `sig`, its place is
    /// marked instead. Generated code calls this where `access_token` sorts.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn access_token(&mut self, mp: Option<&MpExtra<'_>>) {
        match mp {
            Some(mp) => self.secret_pair_literal(b"&access_token=", mp.access_token),
            None => self.sink.mark(Slot::AccessToken, self.first),
        }
    }

    /// `sig=…`, written only for `mp_sig` (`mp` given); for `sig`, its place is marked
    /// instead. Generated code calls this where `sig` sorts.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn sig(&mut self, mp: Option<&MpExtra<'_>>) {
        match mp {
            Some(mp) => self.pair_literal(b"&sig=", mp.sig),
            None => self.sink.mark(Slot::Sig, self.first),
        }
    }

    /// [`Self::pair_literal`] for a secret value (the access token of `mp_sig`), written
    /// through [`SignSink::put_secret`].
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn secret_pair_literal(&mut self, amp_name_eq: &'static [u8], secret: &str) {
        let piece = if self.first { amp_name_eq.get(1..).unwrap_or_default() } else { amp_name_eq };
        self.first = false;
        self.sink.put(piece);
        self.sink.put_secret(secret.as_bytes());
    }
}

/// Writes the documented suffix `&org_loc=<path>&method=POST&<secret_name>=<secret>`.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn suffix<S: SignSink + ?Sized>(sink: &mut S, org_loc: &str, secret_name: &str, secret: &str) {
    sink.put(b"&org_loc=");
    sink.put(org_loc.as_bytes());
    sink.put(b"&method=POST&");
    sink.put(secret_name.as_bytes());
    sink.put(b"=");
    sink.put_secret(secret.as_bytes());
}
