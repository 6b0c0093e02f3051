//! Midas 1.0 signing: `sig` with the app key, `mp_sig` with the player's session key.
//!
//! The signing string is never built on the heap: the generated code writes `k=v` pairs in
//! their compile-time order into a buffer on the stack that feeds the keyed HMAC state in whole
//! blocks. `mp_sig` signs the same pairs plus `access_token` and `sig`: the pairs `sig` left
//! in that buffer are reused, with the two inserted at the places the generated code marked,
//! so the pairs are written once per call. The same writer renders the string for humans
//! ([`masked_signed`]), with secrets swapped for `***`.

use hmac::Mac;

use crate::pairs::suffix;
pub use crate::pairs::{MASK, MpExtra, Params, SignSink, SignValue, Slot};
use crate::request::MidasRequest;
use crate::secret::HmacSha256;
use crate::{AccessToken, AppKey, CallContext, SessionKey};

/// A lowercase hex HMAC-SHA256, kept on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex64([u8; 64]);

impl Hex64 {
    #[inline]
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
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
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
    sig_measured(request, context, org_loc, app_key, &mut [0; MAC_BUFFER]).hex
}

/// `sig`, made by [`sig_measured`], with what `mp_sig` can reuse.
pub(crate) struct Sig {
    /// The signature.
    pub(crate) hex: Hex64,
    /// The length of the `k=v&…` part it signed: the body carries the same pairs, so this
    /// sizes the body buffer.
    pub(crate) params_len: usize,
    /// Where `access_token` and `sig` go among the pairs, when the pairs are still whole at
    /// the start of the buffer.
    kept: Option<Kept>,
}

/// `sig`'s pairs, kept whole in the buffer, and where `mp_sig`'s two pairs go among them.
#[derive(Clone, Copy)]
struct Kept {
    /// Where `access_token` goes, and whether it is the first pair.
    access_token: (usize, bool),
    /// Where `sig` goes (never first: `appid` sorts before it).
    sig: usize,
}

/// [`sig`], gathering pieces in `buffer`, which holds `sig`'s pairs afterwards.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn sig_measured<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    app_key: &AppKey,
    buffer: &mut MacBuffer,
) -> Sig {
    let mut mac = app_key.mac();
    let mut sink = MacSink::new(&mut mac, buffer);
    request.write_params(context, None, &mut sink);
    let params_len = sink.written();
    let whole = sink.hashed == 0;
    suffix(&mut sink, org_loc, "secret", app_key.expose_secret());
    sink.flush();
    let kept = match (whole && !sink.spilled, sink.access_token, sink.sig) {
        (true, Some(access_token), Some((sig, false))) if access_token.0 <= sig && sig <= params_len => {
            Some(Kept { access_token, sig })
        }
        _ => None,
    };
    Sig { hex: Hex64::of(mac), params_len, kept }
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
    mp_sig_written(request, context, org_loc, access_token, sig, session_key, &mut [0; MAC_BUFFER])
}

/// [`mp_sig`] after [`sig_measured`] filled `buffer`: from the pairs kept there, with
/// `access_token` and `sig` inserted where they sort, or by writing the pairs again when
/// they were not kept whole.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn mp_sig_after<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    access_token: &AccessToken,
    sig: &Sig,
    session_key: &SessionKey,
    buffer: &mut MacBuffer,
) -> Hex64 {
    let (Some(kept), Some(pairs)) = (sig.kept, buffer.get(..sig.params_len)) else {
        return mp_sig_written(request, context, org_loc, access_token, &sig.hex, session_key, buffer);
    };
    let (at, first) = kept.access_token;
    let (Some(before), Some(between), Some(after)) =
        (pairs.get(..at), pairs.get(at..kept.sig), pairs.get(kept.sig..))
    else {
        return mp_sig_written(request, context, org_loc, access_token, &sig.hex, session_key, buffer);
    };
    let mut mac = session_key.mac();
    let mut gather = [0; MAC_BUFFER];
    let mut sink = MacSink::new(&mut mac, &mut gather);
    sink.put(before);
    if first {
        // `access_token` leads; the pair that led `sig`'s string now follows it.
        sink.put(b"access_token=");
        sink.put_secret(access_token.expose_secret().as_bytes());
        sink.put(b"&");
    } else {
        sink.put(b"&access_token=");
        sink.put_secret(access_token.expose_secret().as_bytes());
    }
    sink.put(between);
    sink.put(b"&sig=");
    sink.put(sig.hex.as_bytes());
    sink.put(after);
    suffix(&mut sink, org_loc, "session_key", session_key.expose_secret());
    sink.flush();
    Hex64::of(mac)
}

/// [`mp_sig`], writing every pair, gathering pieces in `buffer`.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
fn mp_sig_written<R: MidasRequest + ?Sized>(
    request: &R,
    context: &CallContext<'_>,
    org_loc: &str,
    access_token: &AccessToken,
    sig: &Hex64,
    session_key: &SessionKey,
    buffer: &mut MacBuffer,
) -> Hex64 {
    let mut mac = session_key.mac();
    let mut sink = MacSink::new(&mut mac, buffer);
    let extra = MpExtra { access_token: access_token.expose_secret(), sig: sig.as_str() };
    request.write_params(context, Some(&extra), &mut sink);
    suffix(&mut sink, org_loc, "session_key", session_key.expose_secret());
    sink.flush();
    Hex64::of(mac)
}

/// The length of [`MacSink`]'s buffer: whole SHA-256 blocks, and room for a typical signing
/// string, so the hash usually gets it in one piece.
pub(crate) const MAC_BUFFER: usize = 384;

/// Where [`MacSink`] gathers pieces; one serves both signatures of a call. It only ever holds
/// text that is sent anyway: secrets go to the hash directly.
pub(crate) type MacBuffer = [u8; MAC_BUFFER];

/// A keyed HMAC fed through a buffer on the stack.
///
/// The signing string arrives in a few dozen pieces of a few bytes; handing each to the hash
/// costs more than copying it, so pieces are gathered here and the hash gets whole runs of
/// blocks at once.
struct MacSink<'m> {
    mac: &'m mut HmacSha256,
    buffer: &'m mut MacBuffer,
    len: usize,
    /// Bytes already handed to `mac`.
    hashed: usize,
    /// Whether the buffer ran over (its start no longer holds the first pieces).
    spilled: bool,
    /// Where `access_token` was marked (offset, first pair).
    access_token: Option<(usize, bool)>,
    /// Where `sig` was marked (offset, first pair).
    sig: Option<(usize, bool)>,
}

impl<'m> MacSink<'m> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn new(mac: &'m mut HmacSha256, buffer: &'m mut MacBuffer) -> Self {
        Self { mac, buffer, len: 0, hashed: 0, spilled: false, access_token: None, sig: None }
    }

    /// Hands what is gathered to the hash.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn flush(&mut self) {
        self.mac.update(&self.buffer[..self.len]);
        self.hashed += self.len;
        self.len = 0;
    }

    /// How many bytes were put so far.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn written(&self) -> usize {
        self.hashed + self.len
    }

    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.spilled = true;
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

impl SignSink for MacSink<'_> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
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
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn put_secret(&mut self, secret: &[u8]) {
        self.mac.update(&self.buffer[..self.len]);
        self.mac.update(secret);
        self.hashed += self.len + secret.len();
        self.len = 0;
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn mark(&mut self, slot: Slot, first: bool) {
        let mark = Some((self.written(), first));
        match slot {
            Slot::AccessToken => self.access_token = mark,
            Slot::Sig => self.sig = mark,
        }
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
        aaa: Option<String>,
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
            params.access_token(mp);
            params.pair_literal(b"&appid=", context.appid);
            params.pair_literal(b"&openid=", context.openid);
            params.sig(mp);
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
            masked_signed(&Edges { aaa: Some("x".into()), zzz: 42 }, &context(&key), Edges::PATH, Some(&hex));
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

    /// HMAC-SHA256 in hex, straight from the `hmac` crate.
    fn hmac_hex(key: &str, text: &str) -> String {
        let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(key.as_bytes()).expect("any key length");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// `mp_sig` is signed from the pairs `sig` left in its buffer, with `access_token`
    /// and `sig` put where they sort: first (nothing sorts before `access_token`), after a
    /// field, and, when a long value overran the buffer, by writing the pairs again. Each
    /// must equal the HMAC of the whole documented string.
    #[test]
    fn mp_sig_from_the_kept_pairs_equals_the_hmac_of_the_whole_string() {
        const TOKEN: &str = "ACCESS-TOKEN-1";
        const SESSION: &str = "session-key-1";
        let app_key = AppKey::new("app-key-1").expect("not empty");
        let session_key = SessionKey::new(SESSION).expect("not empty");
        let token = AccessToken::new(TOKEN).expect("not empty");
        let mut context = context(&app_key);
        context.session_key = Some(&session_key);
        context.access_token = Some(&token);
        for aaa in [None, Some("x".to_owned()), Some("y".repeat(2 * MAC_BUFFER))] {
            let request = Edges { aaa: aaa.clone(), zzz: 42 };
            // As `prepare` does: `sig`, then `mp_sig` from the same buffer.
            let mut buffer = [0; MAC_BUFFER];
            let sig = sig_measured(&request, &context, Edges::PATH, &app_key, &mut buffer);
            let mp_sig =
                mp_sig_after(&request, &context, Edges::PATH, &token, &sig, &session_key, &mut buffer);
            let shown = masked_signed(&request, &context, Edges::PATH, Some(&sig.hex));
            let sig_text = shown.sig.replace("secret=***", "secret=app-key-1");
            assert_eq!(sig.hex.as_str(), hmac_hex("app-key-1", &sig_text), "{aaa:?}");
            let mp_text = shown
                .mp_sig
                .expect("mp_sig rendered")
                .replace("access_token=***", &format!("access_token={TOKEN}"))
                .replace("session_key=***", &format!("session_key={SESSION}"));
            let first = if aaa.is_some() { "aaa=" } else { "access_token=" };
            assert!(mp_text.starts_with(first), "{mp_text}");
            assert_eq!(mp_sig.as_str(), hmac_hex(SESSION, &mp_text), "{aaa:?}");
        }
    }
}
