//! A fleet sharing one Redis (the `redis` feature), against a real Redis and the emulator: one
//! token fetch for a fleet of processes, one forced refresh fleet-wide, the fleet's budget of
//! forced refreshes, a lock holder killed mid-fetch, Redis stopped mid-run, and session keys
//! saved by one instance and used by another.
//!
//! Redis comes from `MIDAS_REDIS_URL` (`.ci/redis.sh` starts one). Without it these tests say
//! they were skipped, except in CI (`CI` or `MIDAS_REQUIRE_SERVICES` set), where they fail.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use midas_api::{
    AccessToken, ApiErrorKind, AppCredentials, AppSecret, ClassicTokenSource, Client, Clock, Env, Fleet,
    FleetError, FleetOptions, FleetSessions, FleetTokenSource, RedisFailure, ReqwestTransport, RetryPolicy,
    SessionKey, Sessions, StableTokenSource, TokenSource,
};
use midas_emulator::Emulator;
use midas_tests::{Reply, ScriptedTransport, emulator_config};

/// The Redis of the tests, or `None` (after saying so) when none is configured outside CI.
fn redis_url() -> Option<String> {
    if let Ok(url) = std::env::var("MIDAS_REDIS_URL") {
        return Some(url);
    }
    let required = std::env::var_os("CI").is_some() || std::env::var_os("MIDAS_REQUIRE_SERVICES").is_some();
    assert!(!required, "MIDAS_REDIS_URL is not set: the fleet tests need a Redis (.ci/redis.sh starts one)");
    eprintln!("skipped: MIDAS_REDIS_URL is not set (source .ci/redis.sh to run the fleet tests)");
    None
}

/// A key prefix no other test, and no earlier run, uses.
fn prefix(test: &str) -> String {
    static TAKEN: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("test:{test}:{}:{nanos}:{}", std::process::id(), TAKEN.fetch_add(1, Ordering::Relaxed))
}

async fn fleet(url: &str, prefix: &str) -> Fleet {
    let options = FleetOptions::default().with_prefix(prefix).unwrap();
    Fleet::connect(url, options).await.expect("Redis answers")
}

/// A plain connection, to look at what the fleet keeps.
async fn inspector(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
}

fn app(emulator: &Emulator) -> AppCredentials {
    AppCredentials::new(emulator.appid(), emulator.app_secret().clone())
        .with_base_url(emulator.base_url())
        .unwrap()
        .with_timeout(Duration::from_secs(5))
        .unwrap()
}

type Stable = FleetTokenSource<StableTokenSource<ReqwestTransport>>;

/// One instance of the fleet: its own connection, its own stable-token source.
async fn instance(url: &str, prefix: &str, emulator: &Emulator) -> Stable {
    let inner = StableTokenSource::new(app(emulator), ReqwestTransport::new().unwrap());
    FleetTokenSource::new(fleet(url, prefix).await, emulator.appid(), inner)
}

fn fingerprint(token: &AccessToken) -> String {
    let mut hasher = DefaultHasher::new();
    token.expose_secret().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// A `fleet_worker` process, started and ready.
struct Worker {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

/// What a worker reports.
#[derive(Debug, Default)]
struct Report {
    ok: usize,
    failed: usize,
    tokens: HashSet<String>,
    errors: Vec<String>,
}

impl Worker {
    fn start(
        url: &str,
        prefix: &str,
        emulator: &Emulator,
        mode: &str,
        calls: usize,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fleet_worker"));
        command
            .args([mode, &calls.to_string()])
            .env("MIDAS_REDIS_URL", url)
            .env("FLEET_PREFIX", prefix)
            .env("FLEET_BASE_URL", emulator.base_url())
            .env("FLEET_APPID", emulator.appid())
            .env("FLEET_SECRET", emulator.app_secret().expose_secret())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the worker starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Self { child, stdout }
    }

    /// Blocks until the worker printed `ready`.
    fn wait_ready(&mut self) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("the worker speaks");
        assert_eq!(line.trim(), "ready", "the worker did not get ready");
    }

    fn go(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("piped");
        stdin.write_all(b"go\n").and_then(|()| stdin.flush()).expect("the worker listens");
    }

    /// Everything it printed after `go`, once it exited.
    fn report(mut self) -> Report {
        let mut report = Report::default();
        for line in (&mut self.stdout).lines() {
            let line = line.expect("text");
            if let Some(rest) = line.strip_prefix("done ") {
                for pair in rest.split(' ') {
                    let (name, value) = pair.split_once('=').expect("name=value");
                    match name {
                        "ok" => report.ok = value.parse().unwrap(),
                        "failed" => report.failed = value.parse().unwrap(),
                        _ => {}
                    }
                }
            } else if let Some(token) = line.strip_prefix("token=") {
                report.tokens.insert(token.to_owned());
            } else if let Some(error) = line.strip_prefix("error=") {
                report.errors.push(error.to_owned());
            }
        }
        assert!(self.child.wait().unwrap().success(), "the worker exited cleanly");
        report
    }
}

/// Starts `count` workers, waits until all are ready, and returns them.
fn workers(count: usize, start: impl Fn() -> Worker) -> Vec<Worker> {
    let mut workers: Vec<Worker> = (0..count).map(|_| start()).collect();
    for worker in &mut workers {
        worker.wait_ready();
    }
    workers
}

/// Sends `go` to every worker (on a blocking thread: the emulator keeps serving meanwhile) and
/// gathers their reports.
async fn run(mut workers: Vec<Worker>) -> Vec<Report> {
    tokio::task::spawn_blocking(move || {
        for worker in &mut workers {
            worker.go();
        }
        workers.into_iter().map(Worker::report).collect()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_of_100_callers_fetch_an_expired_token_exactly_once() {
    let Some(url) = redis_url() else { return };
    // An 8 s token is shared for 4 s (the stable source stops using it halfway).
    let emulator = Emulator::builder().token_lifetime(Duration::from_secs(8)).start().await.unwrap();
    let prefix = prefix("expiry");
    let first = instance(&url, &prefix, &emulator).await.token().await.unwrap();
    assert_eq!(emulator.token_requests().stable, 1);

    let start = || Worker::start(&url, &prefix, &emulator, "token", 100, &[]);
    let mut redis = inspector(&url).await;
    let key = format!("{prefix}:{}:token", emulator.appid());
    let shared_for: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut redis).await.unwrap();
    assert!((1..=4000).contains(&shared_for), "shared as long as the stable source uses it: {shared_for} ms");
    let ready = tokio::task::block_in_place(|| workers(4, start));
    // Wait until the shared token expired in Redis.
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis::cmd("EXISTS").arg(&key).query_async::<i64>(&mut redis).await.unwrap() == 1 {
        assert!(Instant::now() < deadline, "the shared token never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And at WeChat too.
    emulator.advance_clock(emulator.token_lifetime());

    let reports = run(ready).await;
    let mut tokens = HashSet::new();
    for report in &reports {
        assert_eq!((report.ok, report.failed), (100, 0), "{report:?}");
        tokens.extend(report.tokens.iter().cloned());
    }
    assert_eq!(tokens.len(), 1, "every caller of every process got the same token");
    assert!(!tokens.contains(&fingerprint(&first)), "a new token after the expiry");
    assert_eq!(emulator.token_requests().stable, 2, "one fetch for 400 callers in 4 processes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_rotated_behind_the_fleets_back_is_force_refreshed_once_for_all_processes() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let prefix = prefix("rotation");
    let first = instance(&url, &prefix, &emulator).await.token().await.unwrap();

    let start = || Worker::start(&url, &prefix, &emulator, "refresh", 100, &[]);
    let ready = tokio::task::block_in_place(|| workers(4, start));
    // Each worker read `first` before it got ready; now another server replaces it.
    let rotated = emulator.rotate_token();
    assert_ne!(rotated, first);

    let reports = run(ready).await;
    let mut tokens = HashSet::new();
    for report in &reports {
        assert_eq!((report.ok, report.failed), (100, 0), "{report:?}");
        tokens.extend(report.tokens.iter().cloned());
    }
    let requests = emulator.token_requests();
    assert_eq!(requests.forced, 1, "one forced refresh for 400 refusals in 4 processes");
    assert_eq!(tokens.len(), 1);
    assert!(!tokens.contains(&fingerprint(&first)));
    assert_eq!(tokens.into_iter().next(), Some(fingerprint(&emulator.access_token())), "the token now valid");
}

/// A clock every instance of a test reads, moved by the test.
#[derive(Clone)]
struct SharedClock(Arc<AtomicI64>);

impl Clock for SharedClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn the_fleets_forced_refreshes_stop_at_20_a_day_and_30_s_apart() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let prefix = prefix("budget");
    let clock = SharedClock(Arc::new(AtomicI64::new(1_900_000_000)));
    let step = |seconds: u64| {
        emulator.advance_clock(Duration::from_secs(seconds));
        clock.0.fetch_add(i64::try_from(seconds).unwrap(), Ordering::SeqCst);
    };
    // Each refusal reaches a new instance: a local count of forced refreshes would allow them all.
    let refuse = || async {
        let tokens = instance(&url, &prefix, &emulator).await.with_clock(clock.clone());
        let current = tokens.token().await.unwrap();
        emulator.rotate_token();
        (current.clone(), tokens.refresh(&current).await)
    };

    let mut refused = Vec::new();
    for _ in 0..25 {
        step(31 * 60);
        let (current, refreshed) = refuse().await;
        match refreshed {
            Ok(token) => assert_ne!(token, current),
            Err(error) => refused.push(error),
        }
    }
    assert_eq!(emulator.token_requests().forced, 20, "the fleet's budget held at 20");
    assert_eq!(emulator.token_requests().refused, 0, "the server never had to refuse one");
    assert_eq!(refused.len(), 5);
    for error in &refused {
        assert!(error.to_string().contains("daily cap of 20 forced token refreshes"), "{error}");
        assert!(!error.is_retryable());
    }

    // A day after the first one, a slot frees up; the next refusal within 30 s waits.
    step(24 * 60 * 60 - 24 * 31 * 60);
    let (current, refreshed) = refuse().await;
    assert_ne!(refreshed.unwrap(), current);
    step(10);
    let (_, refreshed) = refuse().await;
    let error = refreshed.unwrap_err();
    assert!(error.to_string().contains("once per 30 s for the whole fleet; try again in 20 s"), "{error}");
    assert!(error.is_retryable());
    assert_eq!(emulator.token_requests().forced, 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_holder_killed_mid_fetch_stalls_the_fleet_only_until_the_lock_expires() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let prefix = prefix("killed");
    let lock_ttl = Duration::from_secs(2);
    // The worker's fetch hangs for a minute before it is even sent.
    let extra = [("FLEET_LOCK_TTL_MS", "2000"), ("FLEET_FETCH_DELAY_MS", "60000")];
    let start = || Worker::start(&url, &prefix, &emulator, "token", 1, &extra);
    let mut holder = tokio::task::block_in_place(|| workers(1, start)).remove(0);
    holder.go();

    let mut redis = inspector(&url).await;
    let lock = format!("{prefix}:{}:token:lock", emulator.appid());
    let deadline = Instant::now() + Duration::from_secs(5);
    let owner = loop {
        if let Some(owner) =
            redis::cmd("GET").arg(&lock).query_async::<Option<String>>(&mut redis).await.unwrap()
        {
            break owner;
        }
        assert!(Instant::now() < deadline, "the worker never took the lock");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(owner.starts_with(&format!("{}-", holder.child.id())), "the worker holds the lock");
    holder.child.kill().unwrap(); // SIGKILL: no cleanup runs
    let status = holder.child.wait().unwrap();
    assert!(!status.success());
    let left = redis::cmd("PTTL").arg(&lock).query_async::<i64>(&mut redis).await.unwrap();
    assert!(left > 0, "the dead holder's lock is still there");

    let tokens = instance(&url, &prefix, &emulator).await.with_lock_ttl(lock_ttl).unwrap();
    let asked = Instant::now();
    let token = tokens.token().await.expect("a token once the lock expired");
    let waited = asked.elapsed();
    assert!(
        waited + Duration::from_millis(50) >= Duration::from_millis(left.unsigned_abs()),
        "waited {waited:?}"
    );
    assert!(waited < lock_ttl + Duration::from_secs(1), "waited {waited:?}");
    assert_eq!(token, emulator.access_token());
    assert_eq!(emulator.token_requests().stable, 1, "only the survivor's fetch was sent");
}

/// A private redis-server on a free loopback port, killed on drop.
struct PrivateRedis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

/// A temporary folder, removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let dir = std::env::temp_dir().join(prefix("redis").replace(':', "-"));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, _dir: TempDir(dir) }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn redis_stopped_mid_run_fails_calls_fast_with_typed_errors_and_they_recover() {
    // The shared Redis is only the sign that this machine has one.
    let Some(_) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let options = FleetOptions::default()
        .with_prefix("down")
        .unwrap()
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    let fleet = Fleet::connect(&redis.url(), options.clone()).await.unwrap();
    let inner = StableTokenSource::new(app(&emulator), ReqwestTransport::new().unwrap());
    let tokens = FleetTokenSource::new(fleet.clone(), emulator.appid(), inner);
    let sessions = FleetSessions::new(fleet, emulator.appid());
    let first = tokens.token().await.unwrap();

    redis.kill();
    let asked = Instant::now();
    let error = tokens.token().await.unwrap_err();
    assert!(error.to_string().contains("fleet token store: Redis is unavailable"), "{error}");
    assert!(error.is_retryable());
    let error = tokens.refresh(&first).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let error = sessions.player("player-1").await.unwrap_err();
    assert!(matches!(error, FleetError::Unavailable(_)), "{error:?}");
    assert!(asked.elapsed() < Duration::from_secs(3), "three calls failed fast: {:?}", asked.elapsed());
    assert_eq!(emulator.token_requests().stable, 1, "nothing fetched outside the fleet's count");

    let unreachable = Fleet::connect(&redis.url(), options).await.unwrap_err();
    assert!(
        matches!(unreachable, FleetError::Unavailable(RedisFailure::Connection | RedisFailure::Timeout)),
        "{unreachable:?}"
    );

    // Redis back on the same port (empty: no persistence): the same source works again.
    let _back = PrivateRedis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        match tokens.token().await {
            Ok(token) => break token,
            Err(error) => assert!(Instant::now() < deadline, "never recovered: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(token, first, "the stable source still had it; the fleet shares it again");
}

#[tokio::test]
async fn the_classic_token_is_fetched_once_for_the_fleet_and_refreshed_once() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let prefix = prefix("classic");
    let mut instances = Vec::new();
    for _ in 0..3 {
        let inner = ClassicTokenSource::new(app(&emulator), ReqwestTransport::new().unwrap());
        instances.push(Arc::new(FleetTokenSource::new(fleet(&url, &prefix).await, emulator.appid(), inner)));
    }
    let calls = |refused: Option<AccessToken>| {
        let handles: Vec<_> = instances
            .iter()
            .flat_map(|tokens| std::iter::repeat_n(tokens, 30))
            .map(|tokens| {
                let (tokens, refused) = (Arc::clone(tokens), refused.clone());
                tokio::spawn(async move {
                    match refused {
                        Some(refused) => tokens.refresh(&refused).await,
                        None => tokens.token().await,
                    }
                })
            })
            .collect();
        async move {
            let mut tokens = Vec::new();
            for handle in handles {
                tokens.push(handle.await.unwrap().unwrap());
            }
            tokens.dedup();
            assert_eq!(tokens.len(), 1, "every caller got the same token");
            tokens.remove(0)
        }
    };
    let first = calls(None).await;
    assert_eq!(emulator.token_requests().classic, 1, "one fetch: no instance knocked out another's token");
    let second = calls(Some(first.clone())).await;
    assert_ne!(second, first);
    assert_eq!(emulator.token_requests().classic, 2, "one refresh for 90 refusals");
}

#[tokio::test]
async fn neither_the_token_nor_a_session_key_shows_in_debug_errors_or_key_names() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    let prefix = prefix("secrets");
    let tokens = instance(&url, &prefix, &emulator).await;
    let token = tokens.token().await.unwrap();
    let sessions = FleetSessions::new(fleet(&url, &prefix).await, emulator.appid());
    let logins = Sessions::new(app(&emulator), ReqwestTransport::new().unwrap());
    let session = sessions.login(&logins, &emulator.issue_login_code("player-1")).await.unwrap();
    let session_key = session.session_key.expose_secret().to_owned();
    let secret = emulator.app_secret().expose_secret().to_owned();

    let shown = [
        format!("{tokens:?}"),
        format!("{sessions:?}"),
        format!("{session:?}"),
        format!("{:?}", sessions.player("player-1").await.unwrap()),
        sessions.player("nobody").await.unwrap_err().to_string(),
        format!("{:?}", sessions.player("nobody").await.unwrap_err()),
    ];
    for text in &shown {
        assert!(!text.contains(token.expose_secret()), "{text}");
        assert!(!text.contains(&session_key), "{text}");
        assert!(!text.contains(&secret), "{text}");
    }
    assert!(shown[0].starts_with("FleetTokenSource"), "{}", shown[0]);

    let mut redis = inspector(&url).await;
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut redis).await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert!(!key.contains(token.expose_secret()) && !key.contains(&session_key), "{key}");
    }
}

fn client(emulator: &Emulator, tokens: Stable) -> Client<ReqwestTransport, Stable> {
    let config = emulator_config(emulator, Env::Sandbox)
        .timeout(Duration::from_secs(5))
        .retry(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)))
        .build()
        .unwrap();
    Client::new(config, tokens).unwrap()
}

#[tokio::test]
async fn a_player_logged_in_on_one_instance_signs_on_another_and_a_new_login_replaces_the_key() {
    let Some(url) = redis_url() else { return };
    let emulator = Emulator::start().await.unwrap();
    emulator.add_player("player-1", SessionKey::new("V7Q38/i2KXaqrQyl2Yx9Hg==").unwrap(), 100);
    let prefix = prefix("sessions");
    let logins = Sessions::new(app(&emulator), ReqwestTransport::new().unwrap());
    let on_a = FleetSessions::new(fleet(&url, &prefix).await, emulator.appid());
    let on_b = FleetSessions::new(fleet(&url, &prefix).await, emulator.appid());
    let client_b = client(&emulator, instance(&url, &prefix, &emulator).await);

    let first = on_a.login(&logins, &emulator.issue_login_code("player-1")).await.unwrap();
    let player = on_b.player("player-1").await.unwrap();
    assert_eq!(player.session_key().map(SessionKey::expose_secret), Some(first.session_key.expose_secret()));
    assert_eq!(client_b.get_balance(&player.with_user_ip("127.0.0.1")).await.unwrap().balance, 100);

    // The player logs in again (on A): B signs with the new key; the old one is refused.
    let second = on_a.login(&logins, &emulator.issue_login_code("player-1")).await.unwrap();
    assert_ne!(second.session_key.expose_secret(), first.session_key.expose_secret());
    let player = on_b.player("player-1").await.unwrap();
    assert_eq!(player.session_key().map(SessionKey::expose_secret), Some(second.session_key.expose_secret()));
    assert_eq!(client_b.get_balance(&player).await.unwrap().balance, 100);
    let stale = midas_api::Player::new("player-1").with_session_key(first.session_key.clone());
    let error = client_b.get_balance(&stale).await.unwrap_err();
    assert_eq!(error.as_api().map(|api| api.kind()), Some(ApiErrorKind::MpSigRejected), "{error}");

    // A player never seen, or logged out: a typed error, not an unsigned call.
    let unknown = on_b.player("player-2").await.unwrap_err();
    assert!(matches!(&unknown, FleetError::NotLoggedIn { openid } if openid == "player-2"), "{unknown:?}");
    assert!(!unknown.is_retryable());
    on_a.forget("player-1").await.unwrap();
    assert!(matches!(on_b.player("player-1").await, Err(FleetError::NotLoggedIn { .. })));
    assert!(matches!(on_b.player("").await, Err(FleetError::Invalid(_))));
    // A login that fails saves nothing and says why.
    let failed = on_a.login(&logins, "never-issued").await.unwrap_err();
    assert!(
        matches!(&failed, FleetError::Login(error) if error.as_api().map(|api| api.kind()) == Some(ApiErrorKind::InvalidCode)),
        "{failed:?}"
    );
    assert!(matches!(on_b.player("player-1").await, Err(FleetError::NotLoggedIn { .. })));
}

#[tokio::test]
async fn a_caller_that_gives_up_mid_fetch_frees_the_lock_at_once() {
    let Some(url) = redis_url() else { return };
    let prefix = prefix("cancelled");
    let reply = Reply::json(r#"{"access_token":"T1","expires_in":7200}"#);
    let transport = ScriptedTransport::new([reply]).with_delay(Duration::from_secs(30));
    let app = AppCredentials::new("wx1234567", AppSecret::new("the-app-secret").unwrap());
    let tokens = FleetTokenSource::new(
        fleet(&url, &prefix).await,
        "wx1234567",
        StableTokenSource::new(app, transport),
    );

    let gave_up = tokio::time::timeout(Duration::from_millis(200), tokens.token()).await;
    assert!(gave_up.is_err(), "the fetch was still running");
    let mut redis = inspector(&url).await;
    let lock = format!("{prefix}:wx1234567:token:lock");
    let deadline = Instant::now() + Duration::from_secs(2);
    while redis::cmd("EXISTS").arg(&lock).query_async::<i64>(&mut redis).await.unwrap() == 1 {
        assert!(Instant::now() < deadline, "the lock stayed for its 10 s TTL");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
