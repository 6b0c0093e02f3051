//! Test support shared by the integration tests of midas-rs: an in-memory transport that
//! records what was sent and answers from a script, and the shared vector files.

pub mod journal_plan;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use midas_api::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// HTTP status and body.
    Http(u16, String),
    /// A transport failure of this kind.
    Fail(TransportErrorKind),
}

impl Reply {
    /// A 200 answer with this JSON text.
    pub fn json(body: &str) -> Self {
        Self::Http(200, body.to_owned())
    }

    /// A 200 answer `{"errcode":code,"errmsg":msg}`.
    pub fn errcode(code: i64, msg: &str) -> Self {
        Self::Http(200, serde_json::json!({ "errcode": code, "errmsg": msg }).to_string())
    }
}

/// What the client sent, with the real URL (token included) for assertions.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The full URL, token included.
    pub url: String,
    /// The body parsed as JSON.
    pub body: serde_json::Value,
    /// The raw body bytes.
    pub raw: Vec<u8>,
    /// The method.
    pub method: midas_api::Method,
}

/// An in-memory transport: records every request, answers from a script (in order).
#[derive(Debug, Default)]
pub struct ScriptedTransport {
    script: Mutex<VecDeque<Reply>>,
    sent: Mutex<Vec<Sent>>,
    delay: Option<std::time::Duration>,
}

impl ScriptedTransport {
    /// A transport that answers with `replies`, one per request.
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self { script: Mutex::new(replies.into_iter().collect()), sent: Mutex::new(Vec::new()), delay: None }
    }

    /// Answers each request only after `delay` (on tokio's clock), so concurrent callers pile up.
    #[must_use]
    pub fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("lock").clone()
    }

    /// How many replies are left unused.
    pub fn remaining(&self) -> usize {
        self.script.lock().expect("lock").len()
    }
}

impl Transport for ScriptedTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = match request.method {
            midas_api::Method::Post => serde_json::from_slice(&request.body).expect("the client sends JSON"),
            midas_api::Method::Get => serde_json::Value::Null,
        };
        let sent =
            Sent { url: request.url.expose().to_owned(), body, raw: request.body, method: request.method };
        self.sent.lock().expect("lock").push(sent);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        match self.script.lock().expect("lock").pop_front() {
            Some(Reply::Http(status, body)) => Ok(HttpResponse { status, body: body.into_bytes() }),
            Some(Reply::Fail(kind)) => Err(TransportError::new(kind, "scripted failure")),
            None => Err(TransportError::new(TransportErrorKind::Other, "the script has no reply left")),
        }
    }
}

/// The path of a vector file in `tests/vectors/` (a byte-identical copy of the shared vectors;
/// `.ci/run` checks the copy against the shared vectors when they sit beside the checkout).
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors").join(name)
}

/// A vector file, parsed.
pub fn load_vectors(name: &str) -> serde_json::Value {
    let path = vector_path(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).expect("vector files are JSON")
}

/// A token source that hands out `token-1`, and `token-2`, `token-3`… on each refresh,
/// counting refreshes.
#[derive(Debug, Default)]
pub struct RotatingToken {
    generation: std::sync::atomic::AtomicU32,
}

impl RotatingToken {
    /// How many refreshes were asked for.
    pub fn refreshes(&self) -> u32 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl midas_api::TokenSource for RotatingToken {
    async fn token(&self) -> Result<midas_api::AccessToken, midas_api::TokenError> {
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst) + 1;
        Ok(midas_api::AccessToken::new(format!("token-{generation}")).expect("not empty"))
    }

    async fn refresh(
        &self,
        _rejected: &midas_api::AccessToken,
    ) -> Result<midas_api::AccessToken, midas_api::TokenError> {
        let generation = self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 2;
        Ok(midas_api::AccessToken::new(format!("token-{generation}")).expect("not empty"))
    }
}

/// A clock that moves one second forward each time it is read, from `start`.
#[derive(Debug)]
pub struct TickingClock(std::sync::atomic::AtomicI64);

impl TickingClock {
    /// Starts at `start`.
    pub fn new(start: i64) -> Self {
        Self(std::sync::atomic::AtomicI64::new(start))
    }
}

impl midas_api::Clock for TickingClock {
    fn now_unix(&self) -> i64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }
}

/// The app key of the test configuration, per environment.
pub const PRODUCTION_KEY: &str = "zNLgAGgqsEWJOg1nFVaO5r7fAlIQxr1u";
/// The sandbox app key of the test configuration.
pub const SANDBOX_KEY: &str = "sandbox-key-0123456789abcdef0123";

/// A configuration for `env` with both keys, a base URL that is never dialled, and fast retries.
pub fn test_config(env: midas_api::Env) -> midas_api::Config {
    midas_api::Config::builder("wx1234567", "12345678", env)
        .production_key(midas_api::AppKey::new(PRODUCTION_KEY).expect("key"))
        .sandbox_key(midas_api::AppKey::new(SANDBOX_KEY).expect("key"))
        .base_url("https://midas.test")
        .retry(
            midas_api::RetryPolicy::default()
                .with_max_attempts(5)
                .with_backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(5)),
        )
        .build()
        .expect("valid test configuration")
}

/// The test player with a session key.
pub fn test_player() -> midas_api::Player {
    midas_api::Player::new("odkx20ENSNa2w5y3g_qOkOvBNM1g")
        .with_session_key(midas_api::SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==").expect("key"))
}

/// A configuration for a client of `emulator` in `env`: its ids, its base URL and every key it
/// has (Midas 1.0 and virtual payment, both environments). Tests add their timeout and retry
/// policy, then build.
pub fn emulator_config(emulator: &midas_emulator::Emulator, env: midas_api::Env) -> midas_api::ConfigBuilder {
    midas_api::Config::builder(emulator.appid(), emulator.offer_id(), env)
        .base_url(emulator.base_url())
        .production_key(emulator.production_key().clone())
        .sandbox_key(emulator.sandbox_key().clone())
        .payment_production_key(emulator.payment_production_key().clone())
        .payment_sandbox_key(emulator.payment_sandbox_key().clone())
}

/// The keys of a Midas 1.0 vector (`app_key`, `session_key`, `access_token`).
#[derive(Debug)]
pub struct VectorKeys {
    /// The app key that signs `sig`.
    pub app_key: midas_api::AppKey,
    /// The session key that signs `mp_sig`.
    pub session_key: midas_api::SessionKey,
    /// The access token signed into `mp_sig`.
    pub access_token: midas_api::AccessToken,
}

impl VectorKeys {
    /// The keys of `vector`.
    pub fn of(vector: &serde_json::Value) -> Self {
        let text =
            |key: &str| vector[key].as_str().unwrap_or_else(|| panic!("the vector's `{key}` is a string"));
        Self {
            app_key: midas_api::AppKey::new(text("app_key")).expect("a key"),
            session_key: midas_api::SessionKey::new(text("session_key")).expect("a key"),
            access_token: midas_api::AccessToken::new(text("access_token")).expect("a token"),
        }
    }

    /// The call context of a Midas 1.0 vector's `params` in `env`, signed with these keys.
    pub fn context<'a>(
        &'a self,
        params: &'a serde_json::Value,
        env: midas_api::Env,
    ) -> midas_api::CallContext<'a> {
        let text =
            |key: &str| params[key].as_str().unwrap_or_else(|| panic!("the vector's `{key}` is a string"));
        midas_api::CallContext {
            appid: text("appid"),
            offer_id: text("offer_id"),
            openid: text("openid"),
            zone_id: text("zone_id"),
            pf: text("pf"),
            user_ip: params.get("user_ip").and_then(serde_json::Value::as_str),
            env,
            ts: params["ts"].as_i64().expect("the vector's `ts` is an integer"),
            app_key: &self.app_key,
            session_key: Some(&self.session_key),
            access_token: Some(&self.access_token),
        }
    }
}

/// A fresh PostgreSQL database named `name` on the test server of `MIDAS_TEST_POSTGRES_URL`
/// (dropped first if a previous run left it), and its URL; each test gets its own, so tests
/// running at once never share tables. `None` (the test is skipped, and says so) without the
/// variable, unless `MIDAS_REQUIRE_SERVICES` is set (CI), where it panics.
pub async fn postgres_database(name: &str) -> Option<String> {
    use sqlx::Connection as _;
    let url = match std::env::var("MIDAS_TEST_POSTGRES_URL") {
        Ok(url) => url,
        Err(_) if std::env::var_os("MIDAS_REQUIRE_SERVICES").is_some() => {
            panic!(
                "MIDAS_TEST_POSTGRES_URL is not set but MIDAS_REQUIRE_SERVICES is: the PostgreSQL tests must run"
            )
        }
        Err(_) => {
            println!("skipped: set MIDAS_TEST_POSTGRES_URL to run the PostgreSQL tests");
            return None;
        }
    };
    assert!(name.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_'), "a plain database name");
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("the test PostgreSQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create");
    admin.close().await.expect("close");
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}
