//! Every shared vector passes through the generated code (request structs declared with
//! `#[midas_api]`), the signer, the masked renderer and the server-side verifier.

use midas_api::verify::ReceivedParams;
use midas_api::{
    AccessToken, AppKey, CallContext, CancelPay, Env, GetBalance, MidasRequest, Pay, Present, SessionKey,
    prepare, sign,
};
use midas_tests::{VectorKeys, load_vectors};
use serde_json::{Map, Value};

/// The official worked example of the signature page, by value.
#[test]
fn official_worked_example_reproduces_exactly() {
    let app_key = AppKey::new("zNLgAGgqsEWJOg1nFVaO5r7fAlIQxr1u").unwrap();
    let session_key = SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==").unwrap();
    let token = AccessToken::new("ACCESSTOKEN").unwrap();
    let context = CallContext {
        appid: "wx1234567",
        offer_id: "12345678",
        openid: "odkx20ENSNa2w5y3g_qOkOvBNM1g",
        zone_id: "1",
        pf: "android",
        user_ip: None,
        env: Env::Production,
        ts: 1507530737,
        app_key: &app_key,
        session_key: Some(&session_key),
        access_token: Some(&token),
    };
    let path = GetBalance::path(Env::Production);
    assert_eq!(path, "/cgi-bin/midas/getbalance");

    let sig = sign::sig(&GetBalance {}, &context, path, &app_key);
    assert_eq!(sig.as_str(), "1ad64e8dcb2ec1dc486b7fdf01f4a15159fc623dc3422470e51cf6870734726b");
    let mp_sig = sign::mp_sig(&GetBalance {}, &context, path, &token, &sig, &session_key);
    assert_eq!(mp_sig.as_str(), "ff4c5bb39dea1002a8f03be0438724e1a8bcea5ebce8f221f9b9fea3bcf3bf76");

    let masked = sign::masked_signed(&GetBalance {}, &context, path, Some(&sig));
    assert_eq!(
        masked.sig,
        "appid=wx1234567&offer_id=12345678&openid=odkx20ENSNa2w5y3g_qOkOvBNM1g&pf=android&ts=1507530737&zone_id=1\
         &org_loc=/cgi-bin/midas/getbalance&method=POST&secret=***"
    );
}

struct Case {
    name: String,
    vector: Value,
}

fn cases(file: &str) -> Vec<Case> {
    let Value::Array(vectors) = load_vectors(file) else { panic!("{file} is a JSON array") };
    vectors
        .into_iter()
        .enumerate()
        .map(|(index, vector)| {
            let name = vector
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{file}#{index}"), str::to_owned);
            Case { name, vector }
        })
        .collect()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("missing string `{key}`"))
}

fn opt_text(params: &Value, key: &str) -> Option<String> {
    params.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn int(params: &Value, key: &str) -> i64 {
    params.get(key).and_then(Value::as_i64).unwrap_or_else(|| panic!("missing integer `{key}`"))
}

/// Signs `request` as the vector says and checks every output against it.
fn check<R: MidasRequest>(case: &Case, request: &R) {
    let v = &case.vector;
    let params = &v["params"];
    let env = if v["sandbox"].as_bool().expect("sandbox flag") { Env::Sandbox } else { Env::Production };
    assert_eq!(R::path(env), text(v, "uri"), "{}: path", case.name);

    let keys = VectorKeys::of(v);
    let (app_key, session_key, token) = (&keys.app_key, &keys.session_key, &keys.access_token);
    let context = keys.context(params, env);
    let prepared = prepare(request, &context).unwrap_or_else(|err| panic!("{}: {err}", case.name));

    assert_eq!(prepared.app_signature.as_str(), text(v, "sig"), "{}: sig", case.name);
    assert_eq!(
        prepared.player_signature.expect("mp_sig with a session key").as_str(),
        text(v, "mp_sig"),
        "{}: mp_sig",
        case.name
    );

    // The body holds exactly the vector's params plus sig and mp_sig, and never the token.
    let mut expected: Map<String, Value> = params.as_object().expect("params object").clone();
    expected.insert("sig".into(), Value::from(text(v, "sig")));
    expected.insert("mp_sig".into(), Value::from(text(v, "mp_sig")));
    let body: Value = serde_json::from_slice(&prepared.body).expect("body is JSON");
    assert_eq!(body, Value::Object(expected), "{}: body", case.name);

    // What a human sees on a rejection is the vector's signed string with the secrets masked.
    let masked = sign::masked_signed(request, &context, R::path(env), Some(&prepared.app_signature));
    let masked_sig = text(v, "sig_string").replace(app_key.expose_secret(), "***");
    let masked_mp = text(v, "mp_sig_string")
        .replace(session_key.expose_secret(), "***")
        .replace(&format!("access_token={}", token.expose_secret()), "access_token=***");
    assert_eq!(masked.sig, masked_sig, "{}: sig string", case.name);
    assert_eq!(masked.mp_sig.as_deref(), Some(masked_mp.as_str()), "{}: mp_sig string", case.name);
    assert!(!masked.sig.contains(app_key.expose_secret()));

    // The server side accepts what the client signed, from the body as received.
    let received = ReceivedParams::from_json(body.as_object().expect("object")).unwrap();
    received.verify_sig(text(v, "uri"), app_key, prepared.app_signature.as_str()).unwrap();
    received
        .verify_mp_sig(
            text(v, "uri"),
            token.expose_secret(),
            prepared.app_signature.as_str(),
            session_key,
            text(v, "mp_sig"),
        )
        .unwrap();
}

fn check_through_generated_code(case: &Case) {
    let params = &case.vector["params"];
    match text(&case.vector, "endpoint") {
        "getbalance" => check(case, &GetBalance {}),
        "pay" => check(
            case,
            &Pay {
                amt: int(params, "amt"),
                bill_no: text(params, "bill_no").to_owned(),
                pay_item: opt_text(params, "pay_item"),
                app_remark: opt_text(params, "app_remark"),
            },
        ),
        "cancelpay" => check(
            case,
            &CancelPay {
                bill_no: text(params, "bill_no").to_owned(),
                pay_item: opt_text(params, "pay_item"),
            },
        ),
        "present" => check(
            case,
            &Present {
                bill_no: text(params, "bill_no").to_owned(),
                present_counts: int(params, "present_counts"),
            },
        ),
        other => panic!("{}: unknown endpoint {other}", case.name),
    }
}

#[test]
fn worked_vectors_pass_through_generated_code() {
    let cases = cases("midas-v1-worked.json");
    assert_eq!(cases.len(), 7);
    cases.iter().for_each(check_through_generated_code);
}

#[test]
fn random_vectors_pass_through_generated_code() {
    let cases = cases("midas-v1-random.json");
    assert_eq!(cases.len(), 300);
    cases.iter().for_each(check_through_generated_code);
}

#[test]
fn body_signed_official_vectors_pass() {
    use midas_api::body_signed::{pay_sig, signature};
    let cases = cases("body-signed-official.json");
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let v = &case.vector;
        let body = text(v, "post_body").as_bytes();
        let app_key = AppKey::new(text(v, "app_key")).unwrap();
        let session_key = SessionKey::new(text(v, "session_key")).unwrap();
        assert_eq!(pay_sig(&app_key, text(v, "uri"), body).as_str(), text(v, "pay_sig"), "{}", case.name);
        assert_eq!(signature(&session_key, body).as_str(), text(v, "signature"), "{}", case.name);
    }
}

#[test]
fn a_changed_field_breaks_verification() {
    let case = &cases("midas-v1-worked.json")[5];
    assert_eq!(case.name, "present");
    let v = &case.vector;
    let mut body = v["params"].as_object().unwrap().clone();
    body.insert("present_counts".into(), Value::from(234));
    let app_key = AppKey::new(text(v, "app_key")).unwrap();
    let received = ReceivedParams::from_json(&body).unwrap();
    assert!(received.verify_sig(text(v, "uri"), &app_key, text(v, "sig")).is_err());
    let original = ReceivedParams::from_json(v["params"].as_object().unwrap()).unwrap();
    assert!(original.verify_sig("/cgi-bin/midas/sandbox/present", &app_key, text(v, "sig")).is_err());
    assert!(original.verify_sig(text(v, "uri"), &app_key, &text(v, "sig").to_uppercase()).is_err());
    original.verify_sig(text(v, "uri"), &app_key, text(v, "sig")).unwrap();
}

/// Finding 14: a clone with nothing beside it passes, so the vectors are read from the
/// repository's own copy (`.ci/run` checks it against the shared vectors when they are there).
#[test]
fn a_fresh_clone_reads_its_own_vectors() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .canonicalize()
        .expect("the workspace exists");
    for name in ["midas-v1-worked.json", "midas-v1-random.json", "body-signed-official.json"] {
        let path =
            midas_tests::vector_path(name).canonicalize().expect("the vector file is in the repository");
        assert!(path.starts_with(&workspace), "{} is read from outside the checkout", path.display());
    }
}
