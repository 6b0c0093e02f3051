//! Midas 1.0 signing: `sig` with the app key, `mp_sig` with the player's session key.
//!
//! The signing string is never built on the heap: the generated code writes `k=v` pairs in
//! their compile-time order into a buffer on the stack that feeds the keyed HMAC state in whole
//! blocks. The same writer renders the string for humans ([`masked_signed`]), with secrets
//! swapped for `***`.

use hmac::Mac;

use crate::pairs::suffix;
pub use crate::pairs::{MASK, Params, SignSink, SignValue};
use crate::request::{MidasRequest, MpExtra};
use crate::secret::HmacSha256;
use crate::{AccessToken, AppKey, CallContext, SessionKey};

/// A lowercase hex HMAC-SHA256, kept on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex64([u8; 64]);

impl Hex64 {
    pub(crate) fn of(mac: HmacSha256) -> Self {
        let digest = mac.finalize().into_bytes();
        let mut out = [0_u8; 64];
        for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
            pair[0] = hex_digit(byte >> 4);
            pair[1] = hex_digit(byte & 0x0f);
        }
        Self(out)
    }

    /// The 64 lowercase hex characters.
    pub fn as_str(&self) -> &str {
        // Hex digits are ASCII.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 64 lowercase hex characters, as bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

/// A nibble as a lowercase hex digit; arithmetic rather than a table, so the loop vectorizes.
#[inline(always)]
const fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 { b'0' + nibble } else { b'a' - 10 + nibble }
}

impl core::fmt::Debug for Hex64 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Display for Hex64 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Computes `sig`: HMAC-SHA256 keyed by the app key over the sorted pairs (without
/// `access_token` and `sig`) and `&org_loc=<path>&method=POST&secret=<app key>`.
pub fn sig<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    app_key: &AppKey,
) -> Hex64 {
    sig_measured(request, context, org_loc, app_key).0
}

/// [`sig`], and the length of the `k=v&…` part it signed: the body carries the same pairs, so
/// this sizes the body buffer.
pub(crate) fn sig_measured<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    app_key: &AppKey,
) -> (Hex64, usize) {
    let mut sink = MacSink::new(app_key.mac());
    request.write_params(context, None, &mut sink);
    let params_len = sink.written();
    suffix(&mut sink, org_loc, "secret", app_key.expose_secret());
    (sink.finish(), params_len)
}

/// Computes `mp_sig`: HMAC-SHA256 keyed by the session key over the sorted pairs plus
/// `access_token` and `sig`, and `&org_loc=<path>&method=POST&session_key=<session key>`.
pub fn mp_sig<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    access_token: &AccessToken,
    sig: &Hex64,
    session_key: &SessionKey,
) -> Hex64 {
    let mut sink = MacSink::new(session_key.mac());
    let extra = MpExtra { access_token: access_token.expose_secret(), sig: sig.as_str() };
    request.write_params(context, Some(&extra), &mut sink);
    suffix(&mut sink, org_loc, "session_key", session_key.expose_secret());
    sink.finish()
}

/// The length of [`MacSink`]'s buffer: whole SHA-256 blocks, and room for a typical signing
/// string, so the hash usually gets it in one piece.
const MAC_BUFFER: usize = 384;

/// A keyed HMAC fed through a buffer on the stack.
///
/// The signing string arrives in a few dozen pieces of a few bytes; handing each to the hash
/// costs more than copying it, so pieces are gathered here and the hash gets whole runs of
/// blocks at once.
struct MacSink {
    mac: HmacSha256,
    buffer: [u8; MAC_BUFFER],
    len: usize,
    /// Bytes already handed to `mac`.
    hashed: usize,
}

impl MacSink {
    #[inline(always)]
    fn new(mac: HmacSha256) -> Self {
        Self { mac, buffer: [0; MAC_BUFFER], len: 0, hashed: 0 }
    }

    #[inline(always)]
    fn finish(mut self) -> Hex64 {
        self.mac.update(&self.buffer[..self.len]);
        Hex64::of(self.mac)
    }

    /// How many bytes were put so far.
    #[inline(always)]
    fn written(&self) -> usize {
        self.hashed + self.len
    }

    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.mac.update(&self.buffer[..self.len]);
        self.hashed += self.len;
        self.len = 0;
        if bytes.len() < MAC_BUFFER {
            self.buffer[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
        } else {
            self.mac.update(bytes);
            self.hashed += bytes.len();
        }
    }
}

impl SignSink for MacSink {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        match self.buffer.get_mut(self.len..self.len + bytes.len()) {
            Some(free) => {
                crate::body::copy_short(free, bytes);
                self.len += bytes.len();
            }
            None => self.spill(bytes),
        }
    }

    /// The buffer never holds a secret: what is gathered goes to the hash, then the secret.
    #[inline(always)]
    fn put_secret(&mut self, secret: &[u8]) {
        self.mac.update(&self.buffer[..self.len]);
        self.mac.update(secret);
        self.hashed += self.len + secret.len();
        self.len = 0;
    }
}

/// The strings `sig` and (when `sig` is given) `mp_sig` are computed over, with the app key,
/// the session key and the access token shown as `***`: what to look at when Midas answers
/// 90011 or 90009.
pub fn masked_signed<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    sig: Option<&Hex64>,
) -> crate::MaskedSigned {
    let render = |extra: Option<&MpExtra<'_>>, secret_name: &str| {
        let mut out = Vec::with_capacity(256);
        request.write_params(context, extra, &mut out);
        suffix(&mut out, org_loc, secret_name, MASK);
        String::from_utf8_lossy(&out).into_owned()
    };
    let mp_sig =
        sig.map(|sig| render(Some(&MpExtra { access_token: MASK, sig: sig.as_str() }), "session_key"));
    crate::MaskedSigned { sig: render(None, "secret"), mp_sig }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonObject;
    use crate::{Scheme, ValidationError};

    /// A request whose own fields sort before `access_token` and after `sig`; written by hand
    /// the way the attribute writes it.
    struct Edges {
        aaa: String,
        zzz: i64,
    }

    impl MidasRequest for Edges {
        type Response = ();
        const API: &'static str = "edges";
        const SCHEME: Scheme = Scheme::V1;
        const SIGNER: crate::Signer<Self> = crate::Signer::PAIRS;
        const PATH: &'static str = "/cgi-bin/midas/edges";
        const SANDBOX_PATH: &'static str = "/cgi-bin/midas/sandbox/edges";
        const USER_SIGNATURE: bool = false;

        fn validate(&self) -> Result<(), ValidationError> {
            Ok(())
        }

        fn validate_envelope(_: &CallContext<'_>) -> Result<(), ValidationError> {
            Ok(())
        }

        fn order_key(&self) -> Option<(&'static str, &str)> {
            None
        }

        fn amount(&self) -> Option<i64> {
            None
        }

        fn write_params<S: SignSink + ?Sized>(
            &self,
            context: &CallContext<'_>,
            mp: Option<&MpExtra<'_>>,
            sink: &mut S,
        ) {
            let mut params = Params::new(sink);
            params.pair_literal(b"&aaa=", &self.aaa);
            if let Some(mp) = mp {
                params.secret_pair_literal(b"&access_token=", mp.access_token);
            }
            params.pair_literal(b"&appid=", context.appid);
            params.pair_literal(b"&openid=", context.openid);
            if let Some(mp) = mp {
                params.pair_literal(b"&sig=", mp.sig);
            }
            params.pair_literal(b"&ts=", &context.ts);
            params.pair_literal(b"&zzz=", &self.zzz);
        }

        fn write_body(&self, _: &CallContext<'_>, body: &mut JsonObject<'_>) {
            self.write_fields(body);
        }

        fn write_fields(&self, body: &mut JsonObject<'_>) {
            body.field_literal(b",\"aaa\":", &self.aaa);
            body.field_literal(b",\"zzz\":", &self.zzz);
        }
    }

    fn context(key: &AppKey) -> CallContext<'_> {
        CallContext {
            appid: "wx1",
            offer_id: "o",
            openid: "p",
            zone_id: "1",
            pf: "android",
            user_ip: None,
            env: crate::Env::Production,
            ts: 1,
            app_key: key,
            session_key: None,
            access_token: None,
        }
    }

    #[test]
    fn the_signed_strings_keep_the_sorted_order_around_the_mp_sig_pairs() {
        let hex = Hex64([b'0'; 64]);
        let key = AppKey::new("k").expect("not empty");
        let signed =
            masked_signed(&Edges { aaa: "x".into(), zzz: 42 }, &context(&key), Edges::PATH, Some(&hex));
        assert_eq!(
            signed.sig,
            "aaa=x&appid=wx1&openid=p&ts=1&zzz=42&org_loc=/cgi-bin/midas/edges&method=POST&secret=***"
        );
        let sig = "0".repeat(64);
        assert_eq!(
            signed.mp_sig.as_deref(),
            Some(format!("aaa=x&access_token=***&appid=wx1&openid=p&sig={sig}&ts=1&zzz=42&org_loc=/cgi-bin/midas/edges&method=POST&session_key=***").as_str())
        );
    }
}
