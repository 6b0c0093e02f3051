//! The token and login APIs over a raw TCP connection: credentials, methods, limits, expiry.

use std::time::Duration;

use midas_emulator::{DEFAULT_APP_SECRET, Emulator, SessionKey};
use serde_json::{Value, json};

use crate::support;

async fn call(emulator: &Emulator, method: &str, target: &str, body: &str) -> Value {
    let (status, value) = support::call(emulator, method, target, body.as_bytes()).await;
    assert_eq!(status, 200, "{value}");
    value
}

fn stable_body(force_refresh: bool) -> String {
    json!({"grant_type": "client_credential", "appid": "wx1234567", "secret": DEFAULT_APP_SECRET,
           "force_refresh": force_refresh})
    .to_string()
}

async fn stable(emulator: &Emulator, force_refresh: bool) -> Value {
    call(emulator, "POST", "/cgi-bin/stable_token", &stable_body(force_refresh)).await
}

fn balance_target(token: &str) -> String {
    format!("/cgi-bin/midas/getbalance?access_token={token}")
}

#[tokio::test]
async fn stable_token_refuses_bad_credentials_and_methods() {
    let emulator = Emulator::start().await.expect("start");
    let with = |field: &str, value: Value| {
        let mut body: Value = serde_json::from_str(&stable_body(false)).expect("json");
        body[field] = value;
        body.to_string()
    };
    for (body, errcode) in [
        (with("appid", json!("wx-other")), 40013),
        (with("secret", json!("wrong")), 40125),
        (with("grant_type", json!("authorization_code")), 40002),
        (with("force_refresh", json!("yes")), 40097),
        (with("appid", Value::Null), 41002),
        (with("secret", json!("")), 41004),
        ("not json".to_owned(), 47001),
    ] {
        let answer = call(&emulator, "POST", "/cgi-bin/stable_token", &body).await;
        assert_eq!(answer["errcode"], errcode, "{body} -> {answer}");
    }
    let answer = call(&emulator, "GET", "/cgi-bin/stable_token", "").await;
    assert_eq!(answer["errcode"], 43002);
    assert_eq!(emulator.token_requests().refused, 8);
    assert_eq!(emulator.token_requests().stable, 0);
}

#[tokio::test]
async fn normal_mode_repeats_the_token_and_a_forced_refresh_replaces_it_within_the_limits() {
    let emulator = Emulator::start().await.expect("start");
    let first = stable(&emulator, false).await;
    assert_eq!(first["access_token"], emulator.access_token().expose_secret());
    assert!(first["expires_in"].as_u64().is_some_and(|secs| (7190..=7200).contains(&secs)), "{first}");
    emulator.advance_clock(Duration::from_secs(1000));
    let again = stable(&emulator, false).await;
    assert_eq!(again["access_token"], first["access_token"]);
    assert!(again["expires_in"].as_u64().is_some_and(|secs| secs <= 6200), "{again}");

    let forced = stable(&emulator, true).await;
    assert_ne!(forced["access_token"], first["access_token"]);
    let old = first["access_token"].as_str().expect("token");
    assert_eq!(call(&emulator, "POST", &balance_target(old), "{}").await["errcode"], 40001);
    assert_eq!(stable(&emulator, true).await["errcode"], 45011, "within 30 s");
    for _ in 1..20 {
        emulator.advance_clock(Duration::from_secs(30));
        assert!(stable(&emulator, true).await["access_token"].is_string());
    }
    emulator.advance_clock(Duration::from_secs(30));
    assert_eq!(stable(&emulator, true).await["errcode"], 45009, "the 21st in a day");
    let counted = emulator.token_requests();
    assert_eq!((counted.stable, counted.forced, counted.refused), (2, 20, 2));
}

#[tokio::test]
async fn an_expired_token_is_42001_and_normal_mode_then_issues_a_new_one() {
    let emulator = Emulator::builder()
        .token_lifetime(Duration::from_secs(600))
        .player("player-1", SessionKey::new("k1").expect("not empty"), 1)
        .start()
        .await
        .expect("start");
    let token = emulator.access_token();
    emulator.advance_clock(Duration::from_secs(600));
    let answer = call(&emulator, "POST", &balance_target(token.expose_secret()), "{}").await;
    assert_eq!(answer["errcode"], 42001);
    let fresh = stable(&emulator, false).await;
    assert_ne!(fresh["access_token"], token.expose_secret());
    assert_eq!(fresh["access_token"], emulator.access_token().expose_secret());
}

#[tokio::test]
async fn each_classic_fetch_invalidates_the_previous_classic_token() {
    let emulator = Emulator::start().await.expect("start");
    let target =
        format!("/cgi-bin/token?grant_type=client_credential&appid=wx1234567&secret={DEFAULT_APP_SECRET}");
    let first = call(&emulator, "GET", &target, "").await;
    let second = call(&emulator, "GET", &target, "").await;
    assert_ne!(first["access_token"], second["access_token"]);
    let token = |answer: &Value| answer["access_token"].as_str().expect("token").to_owned();
    // The first is refused before the body is read; the second gets as far as the body checks.
    assert_eq!(call(&emulator, "POST", &balance_target(&token(&first)), "{}").await["errcode"], 40001);
    assert_eq!(call(&emulator, "POST", &balance_target(&token(&second)), "{}").await["errcode"], 90018);
    let wrong = call(&emulator, "GET", &target.replace(DEFAULT_APP_SECRET, "wrong"), "").await;
    assert_eq!(wrong["errcode"], 40001, "a wrong secret, as documented for this API");
    assert_eq!(call(&emulator, "POST", &target, "").await["errcode"], 43001);
    let counted = emulator.token_requests();
    assert_eq!((counted.classic, counted.refused, counted.stable), (2, 2, 0));
}

#[tokio::test]
async fn checksession_signs_the_empty_string_with_the_current_key() {
    let emulator = Emulator::start().await.expect("start");
    let code = emulator.issue_login_code("player-1");
    let target = format!(
        "/sns/jscode2session?appid=wx1234567&secret={DEFAULT_APP_SECRET}&js_code={code}&grant_type=authorization_code"
    );
    let session = call(&emulator, "GET", &target, "").await;
    assert_eq!(session["openid"], "player-1");
    let key = SessionKey::new(session["session_key"].as_str().expect("key")).expect("not empty");
    let check = |signature: String| {
        format!(
            "/wxa/checksession?access_token={}&signature={signature}&openid=player-1&sig_method=hmac_sha256",
            emulator.access_token().expose_secret()
        )
    };
    let signature = midas_core::body_signed::signature(&key, b"").as_str().to_owned();
    assert_eq!(call(&emulator, "GET", &check(signature.clone()), "").await["errcode"], 0);
    assert_eq!(call(&emulator, "GET", &check("00".repeat(32)), "").await["errcode"], 87009);
    assert_eq!(call(&emulator, "GET", &target, "").await["errcode"], 40163);
    let bad_token = check(signature).replace("access_token=", "access_token=x");
    assert_eq!(call(&emulator, "GET", &bad_token, "").await["errcode"], 40001);
}

/// The same text with its last character changed: a guess of the right length.
fn same_length_wrong(secret: &str) -> String {
    let mut wrong = secret.to_owned();
    let last = wrong.pop().map_or('x', |last| if last == 'x' { 'y' } else { 'x' });
    wrong.push(last);
    wrong
}

/// The server compares the AppSecret and access tokens in constant time (`subtle`); timing
/// cannot be observed here, so this pins what the comparison decides: the exact secret passes,
/// a guess of the same length fails, and so do a prefix and an extension.
#[tokio::test]
async fn app_secret_and_access_token_comparisons_accept_only_the_exact_secret() {
    let emulator = Emulator::start().await.expect("start");
    let guesses = |secret: &str| {
        [
            same_length_wrong(secret),
            secret[..secret.len() - 1].to_owned(),
            format!("{secret}x"),
            String::new(),
        ]
    };

    let stable = |secret: &str| {
        json!({"grant_type": "client_credential", "appid": "wx1234567", "secret": secret}).to_string()
    };
    let answer = call(&emulator, "POST", "/cgi-bin/stable_token", &stable(DEFAULT_APP_SECRET)).await;
    assert!(answer["access_token"].is_string(), "{answer}");
    for guess in guesses(DEFAULT_APP_SECRET).into_iter().filter(|guess| !guess.is_empty()) {
        let answer = call(&emulator, "POST", "/cgi-bin/stable_token", &stable(&guess)).await;
        assert_eq!(answer["errcode"], 40125, "{guess}: {answer}");
    }

    let token =
        |secret: &str| format!("/cgi-bin/token?grant_type=client_credential&appid=wx1234567&secret={secret}");
    assert!(call(&emulator, "GET", &token(DEFAULT_APP_SECRET), "").await["access_token"].is_string());
    for guess in guesses(DEFAULT_APP_SECRET).into_iter().filter(|guess| !guess.is_empty()) {
        assert_eq!(call(&emulator, "GET", &token(&guess), "").await["errcode"], 40001, "{guess}");
    }

    let code2session = |secret: &str, code: &str| {
        format!(
            "/sns/jscode2session?appid=wx1234567&secret={secret}&js_code={code}&grant_type=authorization_code"
        )
    };
    let code = emulator.issue_login_code("player-1");
    for guess in guesses(DEFAULT_APP_SECRET).into_iter().filter(|guess| !guess.is_empty()) {
        assert_eq!(
            call(&emulator, "GET", &code2session(&guess, &code), "").await["errcode"],
            40125,
            "{guess}"
        );
    }
    let session = call(&emulator, "GET", &code2session(DEFAULT_APP_SECRET, &code), "").await;
    assert_eq!(session["openid"], "player-1", "the code was not used up by the refusals");

    let current = emulator.access_token();
    let current = current.expose_secret();
    // Past the token check, an empty body is a parameter error.
    assert_eq!(call(&emulator, "POST", &balance_target(current), "{}").await["errcode"], 90018);
    for guess in guesses(current) {
        assert_eq!(call(&emulator, "POST", &balance_target(&guess), "{}").await["errcode"], 40001, "{guess}");
    }
}
