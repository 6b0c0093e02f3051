//! Secrets never show: every public type that holds an app key, session key, app secret or
//! access token formats without it, and so do the errors of calls that carried them; URLs
//! show `access_token=***`.

use std::sync::{Arc, Mutex};

use midas_api::{
    AccessToken, ApiUrl, AppCredentials, AppKey, AppSecret, ClassicTokenSource, Client, Config, Env, Error,
    HttpRequest, HttpResponse, Pay, Player, Present, RetryPolicy, SessionKey, Sessions, StableTokenSource,
    StaticToken, TokenSource, Transport, TransportError,
};
use midas_tests::{Reply, ScriptedTransport};

const PRODUCTION_KEY: &str = "ProductionKeySecretText01";
const SANDBOX_KEY: &str = "SandboxKeySecretText02";
const SESSION_KEY: &str = "SessionKeySecretText03";
const ACCESS_TOKEN: &str = "AccessTokenSecretText04";
const APP_SECRET: &str = "AppSecretSecretText05";
const FETCHED_TOKEN: &str = "FetchedTokenSecretText06";
const FETCHED_SESSION_KEY: &str = "FetchedSessionKeySecretText07";

const SECRETS: [&str; 7] =
    [PRODUCTION_KEY, SANDBOX_KEY, SESSION_KEY, ACCESS_TOKEN, APP_SECRET, FETCHED_TOKEN, FETCHED_SESSION_KEY];

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
    // A secret cut short would still leak most of it.
    assert!(!text.contains("SecretText"), "{what} shows part of a secret: {text}");
}

/// `{:?}`, `{:#?}` and, for errors, `{}` with every source.
fn report(error: &Error) -> String {
    let mut text = format!("{error:?}\n{error:#?}\n{error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

fn config() -> Config {
    Config::builder("wx1234567", "12345678", Env::Sandbox)
        .production_key(AppKey::new(PRODUCTION_KEY).expect("not empty"))
        .sandbox_key(AppKey::new(SANDBOX_KEY).expect("not empty"))
        .base_url("https://midas.test")
        .retry(RetryPolicy::never())
        .build()
        .expect("valid")
}

fn player() -> Player {
    Player::new("odkx20ENSNa2w5y3g_qOkOvBNM1g")
        .with_session_key(SessionKey::new(SESSION_KEY).expect("not empty"))
}

fn app() -> AppCredentials {
    AppCredentials::new("wx1234567", AppSecret::new(APP_SECRET).expect("not empty"))
        .with_base_url("https://api.test")
        .expect("a valid base URL")
}

/// A transport that keeps the URL of every request as a caller would print it.
#[derive(Debug)]
struct PrintedUrls {
    inner: ScriptedTransport,
    urls: Mutex<Vec<String>>,
}

impl PrintedUrls {
    fn new(replies: Vec<Reply>) -> Self {
        Self { inner: ScriptedTransport::new(replies), urls: Mutex::new(Vec::new()) }
    }

    fn urls(&self) -> Vec<String> {
        self.urls.lock().expect("lock").clone()
    }
}

impl Transport for PrintedUrls {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let printed = format!("{}\n{:?}", request.url, request.url);
        self.urls.lock().expect("lock").push(printed);
        self.inner.send(request).await
    }
}

#[test]
fn secret_newtypes_print_stars() {
    let cases = [
        ("AppKey", format!("{:?}", AppKey::new(PRODUCTION_KEY).expect("not empty")), "AppKey(***)"),
        ("SessionKey", format!("{:?}", SessionKey::new(SESSION_KEY).expect("not empty")), "SessionKey(***)"),
        (
            "AccessToken",
            format!("{:?}", AccessToken::new(ACCESS_TOKEN).expect("not empty")),
            "AccessToken(***)",
        ),
        ("AppSecret", format!("{:?}", AppSecret::new(APP_SECRET).expect("not empty")), "AppSecret(***)"),
    ];
    for (what, printed, expected) in cases {
        assert_clean(what, &printed);
        assert_eq!(printed, expected, "{what}");
    }
}

#[test]
fn holders_of_secrets_print_without_them() {
    let token = AccessToken::new(ACCESS_TOKEN).expect("not empty");
    let transport = Arc::new(ScriptedTransport::new([]));
    let client = Client::with_transport(config(), StaticToken::new(token.clone()), Arc::clone(&transport));
    let builder = Config::builder("wx1234567", "12345678", Env::Production)
        .production_key(AppKey::new(PRODUCTION_KEY).expect("not empty"));
    let printed = [
        ("Config", format!("{:?} {:#?}", config(), config())),
        ("ConfigBuilder", format!("{builder:?}")),
        ("Player", format!("{:?} {:#?}", player(), player())),
        ("Client", format!("{client:?} {client:#?}")),
        ("StaticToken", format!("{:?}", StaticToken::new(token.clone()))),
        ("AppCredentials", format!("{:?} {:#?}", app(), app())),
        ("StableTokenSource", format!("{:?}", StableTokenSource::new(app(), ScriptedTransport::new([])))),
        ("ClassicTokenSource", format!("{:?}", ClassicTokenSource::new(app(), ScriptedTransport::new([])))),
        ("Sessions", format!("{:?}", Sessions::new(app(), ScriptedTransport::new([])))),
    ];
    for (what, text) in printed {
        assert_clean(what, &text);
        assert!(text.contains("***"), "{what} shows that a secret is there: {text}");
    }
}

#[test]
fn urls_show_the_token_as_stars() {
    let token = AccessToken::new(ACCESS_TOKEN).expect("not empty");
    let url = ApiUrl::new("https://api.test", "/cgi-bin/midas/sandbox/pay", &token);
    assert_eq!(url.to_string(), "https://api.test/cgi-bin/midas/sandbox/pay?access_token=***");
    assert_eq!(format!("{url:?}"), "ApiUrl(https://api.test/cgi-bin/midas/sandbox/pay?access_token=***)");
    assert!(url.expose().contains(ACCESS_TOKEN), "the transport still gets the real URL");
    let mut url = ApiUrl::bare("https://api.test", "/sns/jscode2session");
    url.query("appid", "wx1").secret_query("secret", APP_SECRET).query("js_code", "code");
    assert_eq!(url.to_string(), "https://api.test/sns/jscode2session?appid=wx1&secret=***&js_code=code");
}

#[tokio::test]
async fn requests_print_their_urls_masked() {
    let transport = Arc::new(PrintedUrls::new(vec![Reply::json(
        r#"{"errcode":0,"errmsg":"ok","bill_no":"pay-1","balance":1,"used_gen_amt":0}"#,
    )]));
    let token = StaticToken::new(AccessToken::new(ACCESS_TOKEN).expect("not empty"));
    let client = Client::with_transport(config(), token, Arc::clone(&transport));
    let pay = Pay { amt: 1, bill_no: "pay-1".into(), pay_item: None, app_remark: None };
    client.pay(&player(), pay).await.expect("scripted success");

    let login = Arc::new(PrintedUrls::new(vec![Reply::json(&format!(
        r#"{{"openid":"o1","session_key":"{FETCHED_SESSION_KEY}"}}"#
    ))]));
    let sessions = Sessions::new(app(), Arc::clone(&login));
    let session = sessions.code2session("js-code").await.expect("scripted session");
    assert_clean("Session", &format!("{session:?} {session:#?}"));
    assert_eq!(session.session_key.expose_secret(), FETCHED_SESSION_KEY);

    let token_api = Arc::new(PrintedUrls::new(vec![Reply::json(&format!(
        r#"{{"access_token":"{FETCHED_TOKEN}","expires_in":7200}}"#
    ))]));
    let classic = ClassicTokenSource::new(app(), Arc::clone(&token_api));
    let fetched = classic.token().await.expect("scripted token");
    assert_eq!(fetched.expose_secret(), FETCHED_TOKEN);
    assert_clean("ClassicTokenSource with a cached token", &format!("{classic:?}"));

    let midas_urls = transport.urls();
    assert_eq!(midas_urls.len(), 1);
    assert!(midas_urls[0].contains("access_token=***"), "{}", midas_urls[0]);
    let login_urls = login.urls();
    assert!(login_urls.len() == 1 && login_urls[0].contains("secret=***"), "{login_urls:?}");
    let token_urls = token_api.urls();
    assert!(token_urls.len() == 1 && token_urls[0].contains("secret=***"), "{token_urls:?}");
    for url in midas_urls.iter().chain(&login_urls).chain(&token_urls) {
        assert_clean("a printed URL", url);
    }
}

#[tokio::test]
async fn rejected_calls_report_without_secrets() {
    let replies = [
        Reply::errcode(90011, "sig error"),
        Reply::errcode(90009, "mp_sig error"),
        Reply::errcode(40001, "invalid credential, access_token is invalid or not latest"),
        Reply::errcode(90013, "balance not enough"),
        Reply::Http(502, "<html>Bad Gateway</html>".into()),
        Reply::json("not json"),
    ];
    for reply in replies {
        let transport = Arc::new(ScriptedTransport::new([reply.clone()]));
        let token = StaticToken::new(AccessToken::new(ACCESS_TOKEN).expect("not empty"));
        let client = Client::with_transport(config(), token, Arc::clone(&transport));
        let error = client
            .present(&player(), Present { bill_no: "gift-1".into(), present_counts: 5 })
            .await
            .expect_err("scripted failure");
        assert_clean(&format!("{reply:?}"), &report(&error));
        let sig_rejected = matches!(error.as_api().map(|api| api.errcode()), Some(90011 | 90009));
        assert_eq!(error.as_api().and_then(|api| api.signed()).is_some(), sig_rejected, "{error:?}");
        if let Some(signed) = error.as_api().and_then(|api| api.signed()) {
            let shown = format!("{signed:?}");
            assert!(shown.contains("secret=***"), "{shown}");
            if let Some(mp) = &signed.mp_sig {
                assert!(mp.contains("access_token=***") && mp.contains("session_key=***"), "{mp}");
            }
        }
    }
}

#[tokio::test]
async fn transport_failures_of_the_reqwest_client_report_without_the_token() {
    // A port nobody listens on: the request URL carries the token, the error must not.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let config = Config::builder("wx1234567", "12345678", Env::Sandbox)
        .sandbox_key(AppKey::new(SANDBOX_KEY).expect("not empty"))
        .base_url(format!("http://{address}"))
        .retry(RetryPolicy::never())
        .build()
        .expect("valid");
    let client = Client::new(config, StaticToken::new(AccessToken::new(ACCESS_TOKEN).expect("not empty")))
        .expect("reqwest");
    let error = client.get_balance(&player()).await.expect_err("nobody listens");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_clean("connection failure", &report(&error));
    assert_clean("client after a failure", &format!("{client:?}"));
}

#[tokio::test]
async fn token_fetch_failures_report_without_the_app_secret() {
    for reply in [
        Reply::errcode(40013, "invalid appid"),
        Reply::errcode(40125, "invalid appsecret"),
        Reply::Http(500, "oops".into()),
        Reply::json("not json"),
    ] {
        let stable = StableTokenSource::new(app(), ScriptedTransport::new([reply.clone()]));
        let error = stable.token().await.expect_err("scripted failure");
        let text = format!("{error:?}\n{error}");
        assert_clean(&format!("stable token after {reply:?}"), &text);
        let classic = ClassicTokenSource::new(app(), ScriptedTransport::new([reply.clone()]));
        let error = classic.token().await.expect_err("scripted failure");
        assert_clean(&format!("classic token after {reply:?}"), &format!("{error:?}\n{error}"));
    }
}

#[test]
fn secret_hygiene_mp_extra_debug_masks_the_access_token() {
    let sig = "0".repeat(64);
    let extra = midas_api::__private0_1::MpExtra { access_token: ACCESS_TOKEN, sig: &sig };
    let text = format!("{extra:?} {extra:#?}");
    assert_clean("MpExtra", &text);
    assert!(text.contains(&sig), "the sig is not a secret and stays visible: {text}");
}

#[test]
fn secret_hygiene_secrets_are_wiped_on_drop() {
    // Each secret type promises, through the `zeroize` marker, that dropping it wipes its text
    // and the keyed HMAC state it caches.
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<AppKey>();
    wiped_on_drop::<SessionKey>();
    wiped_on_drop::<AccessToken>();
    wiped_on_drop::<AppSecret>();
}

#[tokio::test]
async fn secret_hygiene_errmsg_control_characters_are_escaped_in_display() {
    let forged = "bad sig\n2026-11-30T00:00:00Z INFO payment applied\u{1b}[2J\r";
    let transport = Arc::new(ScriptedTransport::new([Reply::errcode(90018, forged)]));
    let client = Client::with_transport(
        config(),
        StaticToken::new(AccessToken::new(ACCESS_TOKEN).expect("not empty")),
        Arc::clone(&transport),
    );
    let error = client.get_balance(&player()).await.expect_err("refused");
    let shown = error.to_string();
    assert!(!shown.chars().any(char::is_control), "no control character reaches Display: {shown:?}");
    assert!(shown.contains(r"bad sig\n2026-11-30T00:00:00Z INFO payment applied\u{1b}[2J\r"), "{shown}");
    assert_eq!(error.as_api().map(midas_api::ApiError::errmsg), Some(forged), "errmsg() keeps the raw text");
    let token_error = midas_api::TokenError::new(Some(40013), format!("errcode 40013: {forged}"), false);
    assert!(!token_error.to_string().chars().any(char::is_control), "{token_error}");
}
