//! Properties of the signer against the server-side verifier: for any valid request the
//! verifier accepts what the client signed, and changing any one signed field, the key, the
//! path or the environment makes it reject.

use midas_api::verify::ReceivedParams;
use midas_api::{
    AccessToken, AppKey, CallContext, CancelPay, Env, MidasRequest, Pay, Present, Rule, SessionKey, prepare,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const PRODUCTION_KEY: &str = "zNLgAGgqsEWJOg1nFVaO5r7fAlIQxr1u";
const SANDBOX_KEY: &str = "sandbox-key-0123456789abcdef0123";

/// The owned parts of an envelope.
#[derive(Clone, Debug)]
struct Common {
    env: Env,
    appid: String,
    offer_id: String,
    openid: String,
    ts: i64,
    zone_id: String,
    pf: String,
    user_ip: Option<String>,
    session_key: String,
    access_token: String,
}

impl Common {
    fn context<'a>(
        &'a self,
        key: &'a AppKey,
        session_key: &'a SessionKey,
        token: &'a AccessToken,
    ) -> CallContext<'a> {
        CallContext {
            appid: &self.appid,
            offer_id: &self.offer_id,
            openid: &self.openid,
            zone_id: &self.zone_id,
            pf: &self.pf,
            user_ip: self.user_ip.as_deref(),
            env: self.env,
            ts: self.ts,
            app_key: key,
            session_key: Some(session_key),
            access_token: Some(token),
        }
    }
}

fn env() -> impl Strategy<Value = Env> {
    prop_oneof![Just(Env::Production), Just(Env::Sandbox)]
}

fn common() -> impl Strategy<Value = Common> {
    (
        env(),
        "wx[0-9a-f]{16}",
        "[0-9]{8,10}",
        "[0-9A-Za-z_-]{1,40}",
        1_000_000_000_i64..4_000_000_000,
        "[0-9]{1,4}(_[a-z0-9]{1,8})?",
        prop_oneof![Just("android".to_owned()), "[a-z]{1,10}"],
        proptest::option::of("[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}"),
        "[A-Za-z0-9+/]{22}==",
        "[A-Za-z0-9_-]{16,64}",
    )
        .prop_map(
            |(env, appid, offer_id, openid, ts, zone_id, pf, user_ip, session_key, access_token)| Common {
                env,
                appid,
                offer_id,
                openid,
                ts,
                zone_id,
                pf,
                user_ip,
                session_key,
                access_token,
            },
        )
}

fn bill_no() -> impl Strategy<Value = String> {
    "[0-9A-Za-z_-]{1,63}"
}

/// Optional free text, non-ASCII included (no control characters, no `&` or `=`, never empty).
fn free_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof!["[^&=\\p{Cc}]{1,24}", "[a-z ]{1,10}[é中文💰]{1,4}"])
}

fn pay() -> impl Strategy<Value = Pay> {
    (bill_no(), 1..=i64::MAX / 2, free_text(), free_text())
        .prop_map(|(bill_no, amt, pay_item, app_remark)| Pay { amt, bill_no, pay_item, app_remark })
}

fn present() -> impl Strategy<Value = Present> {
    (bill_no(), 1..=i64::MAX / 2).prop_map(|(bill_no, present_counts)| Present { bill_no, present_counts })
}

fn cancel_pay() -> impl Strategy<Value = CancelPay> {
    (bill_no(), free_text()).prop_map(|(bill_no, pay_item)| CancelPay { bill_no, pay_item })
}

fn app_key(env: Env) -> AppKey {
    AppKey::new(match env {
        Env::Production => PRODUCTION_KEY,
        Env::Sandbox => SANDBOX_KEY,
    })
    .expect("not empty")
}

fn other(env: Env) -> Env {
    match env {
        Env::Production => Env::Sandbox,
        Env::Sandbox => Env::Production,
    }
}

/// What the server receives: the body's fields, the called path, the two signatures.
struct Received {
    body: Map<String, Value>,
    path: &'static str,
    sig: String,
    mp_sig: String,
}

fn sign<R: MidasRequest>(request: &R, common: &Common) -> Received {
    let key = app_key(common.env);
    let session_key = SessionKey::new(common.session_key.clone()).expect("not empty");
    let token = AccessToken::new(common.access_token.clone()).expect("not empty");
    let prepared = prepare(request, &common.context(&key, &session_key, &token)).expect("a valid request");
    let body: Value = serde_json::from_slice(&prepared.body).expect("the body is JSON");
    let Value::Object(body) = body else { panic!("the body is an object") };
    assert_eq!(body.get("sig").and_then(Value::as_str), Some(prepared.app_signature.as_str()));
    Received {
        body,
        path: prepared.path,
        sig: prepared.app_signature.as_str().to_owned(),
        mp_sig: prepared.player_signature.expect("a session key was given").as_str().to_owned(),
    }
}

fn sig_ok(body: &Map<String, Value>, path: &str, key: &AppKey, sig: &str) -> bool {
    ReceivedParams::from_json(body).is_ok_and(|params| params.verify_sig(path, key, sig).is_ok())
}

fn mp_sig_ok(body: &Map<String, Value>, path: &str, common: &Common, sig: &str, mp_sig: &str) -> bool {
    let session_key = SessionKey::new(common.session_key.clone()).expect("not empty");
    ReceivedParams::from_json(body).is_ok_and(|params| {
        params.verify_mp_sig(path, &common.access_token, sig, &session_key, mp_sig).is_ok()
    })
}

/// The same value, changed: a character appended to text, one added to a number.
fn changed(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(format!("{text}x")),
        Value::Number(number) => match number.as_i64() {
            Some(n) => Value::from(n.wrapping_add(1)),
            None => Value::from(0),
        },
        other => panic!("a signed field is text or a number, got {other}"),
    }
}

/// Checks acceptance and every single-change rejection for one signed request.
fn check<R: MidasRequest>(request: &R, common: &Common) -> Result<(), TestCaseError> {
    let received = sign(request, common);
    let key = app_key(common.env);
    let Received { body, path, sig, mp_sig } = &received;
    prop_assert!(sig_ok(body, path, &key, sig), "sig accepted");
    prop_assert!(mp_sig_ok(body, path, common, sig, mp_sig), "mp_sig accepted");

    for name in body.keys().filter(|name| !matches!(name.as_str(), "sig" | "mp_sig")) {
        let mut tampered = body.clone();
        let value = changed(&body[name]);
        tampered.insert(name.clone(), value);
        prop_assert!(!sig_ok(&tampered, path, &key, sig), "sig rejects a changed `{}`", name);
        prop_assert!(!mp_sig_ok(&tampered, path, common, sig, mp_sig), "mp_sig rejects a changed `{}`", name);
        let mut dropped = body.clone();
        dropped.remove(name);
        prop_assert!(!sig_ok(&dropped, path, &key, sig), "sig rejects a missing `{}`", name);
    }
    let mut added = body.clone();
    added.insert("extra".into(), Value::from("1"));
    prop_assert!(!sig_ok(&added, path, &key, sig), "sig rejects an added field");

    let wrong_key = AppKey::new(format!("{}x", key.expose_secret())).expect("not empty");
    prop_assert!(!sig_ok(body, path, &wrong_key, sig), "sig rejects another key");
    prop_assert!(!sig_ok(body, path, &app_key(other(common.env)), sig), "sig rejects the other env's key");

    let other_path = R::path(other(common.env));
    prop_assert!(!sig_ok(body, other_path, &key, sig), "sig rejects the other env's path");
    prop_assert!(
        !sig_ok(body, other_path, &app_key(other(common.env)), sig),
        "sig rejects the other env entirely"
    );
    prop_assert!(!mp_sig_ok(body, other_path, common, sig, mp_sig), "mp_sig rejects the other env's path");
    let foreign_paths = ["/cgi-bin/midas/present", "/cgi-bin/midas/sandbox/present", "/"];
    for foreign in foreign_paths.into_iter().filter(|foreign| foreign != path) {
        prop_assert!(!sig_ok(body, foreign, &key, sig), "sig rejects path {}", foreign);
    }

    let mut wrong_session = common.clone();
    wrong_session.session_key.push('x');
    prop_assert!(!mp_sig_ok(body, path, &wrong_session, sig, mp_sig), "mp_sig rejects another session key");
    let mut wrong_token = common.clone();
    wrong_token.access_token.push('x');
    prop_assert!(!mp_sig_ok(body, path, &wrong_token, sig, mp_sig), "mp_sig rejects another access token");
    let flipped = flip_last_hex(sig);
    prop_assert!(!sig_ok(body, path, &key, &flipped), "sig rejects a changed signature");
    prop_assert!(!mp_sig_ok(body, path, common, &flipped, mp_sig), "mp_sig covers sig");
    prop_assert!(!sig_ok(body, path, &key, &sig.to_uppercase()), "only lowercase hex");
    Ok(())
}

fn flip_last_hex(hex: &str) -> String {
    let mut text = hex.to_owned();
    let last = text.pop().expect("not empty");
    text.push(if last == '0' { '1' } else { '0' });
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn pay_signatures_verify_and_any_change_is_rejected(request in pay(), common in common()) {
        check(&request, &common)?;
    }

    #[test]
    fn present_signatures_verify_and_any_change_is_rejected(request in present(), common in common()) {
        check(&request, &common)?;
    }

    #[test]
    fn cancel_pay_signatures_verify_and_any_change_is_rejected(
        request in cancel_pay(),
        common in common(),
    ) {
        check(&request, &common)?;
    }

    #[test]
    fn get_balance_signatures_verify_and_any_change_is_rejected(common in common()) {
        check(&midas_api::GetBalance {}, &common)?;
    }
}

/// A Midas 1.0 pay whose text values come from a tiny alphabet holding the pair separators, so
/// that text moved across a field boundary is tried often.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SmallPay {
    pf: String,
    zone_id: String,
    pay_item: Option<String>,
    app_remark: Option<String>,
}

fn small_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just("a"), Just("&"), Just("="), Just("pf"), Just("pay_item")],
        1..5,
    )
    .prop_map(|pieces| pieces.concat())
}

fn small_pay() -> impl Strategy<Value = SmallPay> {
    (small_text(), small_text(), proptest::option::of(small_text()), proptest::option::of(small_text()))
        .prop_map(|(pf, zone_id, pay_item, app_remark)| SmallPay { pf, zone_id, pay_item, app_remark })
}

/// Two requests: independent ones, or the second made from the first by moving text across
/// the `pay_item`/`pf` boundary (`pay_item=x&pf=y` + `pf=z` against `pay_item=x` + `pf=y&pf=z`).
fn pair_of_pays() -> impl Strategy<Value = (SmallPay, SmallPay)> {
    let moved = (small_pay(), small_text(), small_text(), small_text()).prop_map(|(base, x, y, z)| {
        let a = SmallPay { pay_item: Some(format!("{x}&pf={y}")), pf: z.clone(), ..base.clone() };
        let b = SmallPay { pay_item: Some(x), pf: format!("{y}&pf={z}"), ..base };
        (a, b)
    });
    prop_oneof![(small_pay(), small_pay()), moved]
}

impl SmallPay {
    fn request(&self) -> Pay {
        Pay {
            amt: 1,
            bill_no: "b1".into(),
            pay_item: self.pay_item.clone(),
            app_remark: self.app_remark.clone(),
        }
    }

    /// The call context: production key, no session key.
    fn context<'a>(&'a self, key: &'a AppKey) -> CallContext<'a> {
        CallContext {
            appid: "wx1",
            offer_id: "1",
            openid: "o1",
            zone_id: &self.zone_id,
            pf: &self.pf,
            user_ip: None,
            env: Env::Production,
            ts: 1,
            app_key: key,
            session_key: None,
            access_token: None,
        }
    }

    /// Validates and signs the request as the client would.
    fn prepare(&self) -> Result<midas_api::PreparedCall, midas_api::ValidationError> {
        let key = AppKey::new(PRODUCTION_KEY).expect("not empty");
        prepare(&self.request(), &self.context(&key))
    }

    /// The string `sig` signs, or `None` when the request is refused before signing.
    fn signing_string(&self) -> Option<String> {
        self.prepare().ok()?;
        let key = AppKey::new(PRODUCTION_KEY).expect("not empty");
        Some(midas_api::sign::masked_signed(&self.request(), &self.context(&key), Pay::PATH, None).sig)
    }
}

#[test]
fn signing_is_injective_text_moved_across_a_field_boundary_is_refused() {
    // The two requests of the finding: the same signing string before `&` and `=` were refused.
    let ios = SmallPay {
        pf: "ios".into(),
        zone_id: "1".into(),
        pay_item: Some("sword&pf=android".into()),
        app_remark: None,
    };
    let android = SmallPay {
        pf: "android&pf=ios".into(),
        zone_id: "1".into(),
        pay_item: Some("sword".into()),
        app_remark: None,
    };
    for (case, field) in [(&ios, "pay_item"), (&android, "pf")] {
        let err = case.prepare().expect_err("a value with `&` or `=` is refused");
        assert_eq!((err.field(), err.rule()), (field, &Rule::NoPairSeparators));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    /// Two different valid Midas 1.0 requests never share a signing string, text moved across
    /// field boundaries included.
    #[test]
    fn signing_is_injective_two_valid_requests_never_share_a_signing_string((a, b) in pair_of_pays()) {
        if let (Some(left), Some(right)) = (a.signing_string(), b.signing_string()) {
            prop_assert_eq!(left == right, a == b, "{:?} / {:?}", a, b);
        }
    }

    /// The signing string of a valid request splits back into exactly its pairs.
    #[test]
    fn signing_is_injective_the_signing_string_parses_back_into_its_pairs(a in small_pay()) {
        if let Some(signed) = a.signing_string() {
            let pairs: Vec<(&str, &str)> = signed
                .split('&')
                .map(|pair| pair.split_once('=').expect("every piece is one name=value"))
                .collect();
            prop_assert!(pairs.iter().all(|(_, value)| !value.contains('=')), "{}", signed);
            let get = |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            prop_assert_eq!(get("pf"), Some(a.pf.as_str()));
            prop_assert_eq!(get("zone_id"), Some(a.zone_id.as_str()));
            prop_assert_eq!(get("pay_item"), a.pay_item.as_deref());
            prop_assert_eq!(get("app_remark"), a.app_remark.as_deref());
        }
    }
}
