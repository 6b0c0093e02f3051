//! The token sources and the login APIs of the client against the emulator over real loopback
//! HTTP: caching, expiry, server-side invalidation, the force-refresh limits, the classic-token
//! trap, and sessions that rotate on every login.

use std::sync::Arc;
use std::time::Duration;

use midas_api::{
    ApiErrorKind, AppCredentials, AppSecret, ClassicTokenSource, Client, Config, Env, Error, Player,
    ReqwestTransport, RetryPolicy, SessionKey, Sessions, StableTokenSource, TokenSource,
};
use midas_emulator::Emulator;
use midas_tests::emulator_config;

const OPENID: &str = "player-1";
const FIRST_KEY: &str = "V7Q38/i2KXaqrQyl2Yx9Hg==";

async fn emulator() -> Emulator {
    let emulator = Emulator::start().await.expect("the emulator starts");
    emulator.add_player(OPENID, SessionKey::new(FIRST_KEY).unwrap(), 100);
    emulator
}

fn app(emulator: &Emulator) -> AppCredentials {
    AppCredentials::new(emulator.appid(), emulator.app_secret().clone())
        .with_base_url(emulator.base_url())
        .unwrap()
        .with_timeout(Duration::from_secs(2))
        .unwrap()
}

fn stable(emulator: &Emulator) -> Arc<StableTokenSource<ReqwestTransport>> {
    Arc::new(StableTokenSource::new(app(emulator), ReqwestTransport::new().unwrap()))
}

fn classic(emulator: &Emulator) -> Arc<ClassicTokenSource<ReqwestTransport>> {
    Arc::new(ClassicTokenSource::new(app(emulator), ReqwestTransport::new().unwrap()))
}

fn config(emulator: &Emulator) -> Config {
    emulator_config(emulator, Env::Sandbox)
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn client<K: TokenSource + 'static>(emulator: &Emulator, tokens: K) -> Client<ReqwestTransport, K> {
    Client::new(config(emulator), tokens).unwrap()
}

fn player(session_key: &SessionKey) -> Player {
    Player::new(OPENID).with_session_key(session_key.clone()).with_user_ip("127.0.0.1")
}

fn first_player() -> Player {
    player(&SessionKey::new(FIRST_KEY).unwrap())
}

fn api_kind(error: &Error) -> Option<ApiErrorKind> {
    error.as_api().map(|api| api.kind())
}

#[tokio::test]
async fn a_cached_token_is_reused() {
    let emulator = emulator().await;
    let tokens = stable(&emulator);
    let first = tokens.token().await.unwrap();
    assert_eq!(first, emulator.access_token());
    let client = client(&emulator, Arc::clone(&tokens));
    for _ in 0..5 {
        assert_eq!(tokens.token().await.unwrap(), first);
        client.get_balance(&first_player()).await.unwrap();
    }
    let counted = emulator.token_requests();
    assert_eq!((counted.stable, counted.forced), (1, 0), "{counted:?}");
}

#[tokio::test]
async fn expiry_makes_exactly_one_forced_refresh_under_100_concurrent_calls() {
    let emulator = emulator().await;
    let tokens = stable(&emulator);
    let client = client(&emulator, Arc::clone(&tokens));
    client.get_balance(&first_player()).await.unwrap();
    let expired = tokens.token().await.unwrap();
    // The source still holds the token as fresh (its own clock did not move); the emulator
    // answers 42001, and every call asks to refresh that one token.
    emulator.advance_clock(emulator.token_lifetime() + Duration::from_secs(1));
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_balance(&first_player()).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().balance, 100);
    }
    let counted = emulator.token_requests();
    assert_eq!((counted.stable, counted.forced, counted.refused), (1, 1, 0), "{counted:?}");
    let fresh = tokens.token().await.unwrap();
    assert_ne!(fresh, expired);
    assert_eq!(fresh, emulator.access_token());
}

#[tokio::test]
async fn a_token_replaced_by_another_server_is_force_refreshed_and_the_call_succeeds() {
    let emulator = emulator().await;
    let tokens = stable(&emulator);
    let client = client(&emulator, Arc::clone(&tokens));
    client.get_balance(&first_player()).await.unwrap();
    let ours = tokens.token().await.unwrap();

    // Another server of the app forces a refresh: our token is invalid at once (40001).
    let other = stable(&emulator);
    assert_eq!(other.token().await.unwrap(), ours, "normal mode shares the token");
    let theirs = other.refresh(&ours).await.unwrap();
    assert_ne!(theirs, ours);

    // Within 30 s of that the server refuses a third server's forced refresh.
    let third = stable(&emulator);
    let too_soon = third.refresh(&third.token().await.unwrap()).await.unwrap_err();
    assert_eq!(too_soon.errcode(), Some(45011), "{too_soon}");

    emulator.advance_clock(Duration::from_secs(31));
    assert_eq!(client.get_balance(&first_player()).await.unwrap().balance, 100);
    let refreshed = tokens.token().await.unwrap();
    assert!(refreshed != ours && refreshed != theirs);
    assert_eq!(refreshed, emulator.access_token());
    let counted = emulator.token_requests();
    assert_eq!((counted.stable, counted.forced, counted.refused), (3, 2, 1), "{counted:?}");
}

#[tokio::test]
async fn a_second_forced_refresh_within_30_seconds_is_refused_without_a_request() {
    let emulator = emulator().await;
    let tokens = stable(&emulator);
    let first = tokens.token().await.unwrap();
    let second = tokens.refresh(&first).await.unwrap();
    let before = emulator.token_requests();
    assert_eq!((before.stable, before.forced), (1, 1));

    let refused = tokens.refresh(&second).await.unwrap_err();
    assert!(refused.message().contains("30 s"), "{refused}");
    // A Midas call whose token was replaced meanwhile fails with the token error.
    emulator.rotate_token();
    let client = client(&emulator, Arc::clone(&tokens));
    let error = client.get_balance(&first_player()).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::TokenInvalid), "{error}");
    assert_eq!(emulator.token_requests(), before, "nothing was sent to the token API");
}

#[tokio::test]
async fn a_classic_fetch_elsewhere_invalidates_our_token_and_we_recover_by_refreshing() {
    let emulator = emulator().await;
    let ours = classic(&emulator);
    let client = client(&emulator, Arc::clone(&ours));
    client.get_balance(&first_player()).await.unwrap();
    let first = ours.token().await.unwrap();

    // The trap: another server fetching a classic token knocks ours out.
    let other = classic(&emulator);
    let theirs = other.token().await.unwrap();
    assert_ne!(theirs, first);
    assert_eq!(client.get_balance(&first_player()).await.unwrap().balance, 100);
    let refreshed = ours.token().await.unwrap();
    assert!(refreshed != first && refreshed != theirs);
    // ... and our refresh knocked theirs out in turn.
    let their_client = client_with_static(&emulator, theirs);
    let error = their_client.get_balance(&first_player()).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::TokenInvalid), "{error}");
    assert_eq!(emulator.token_requests().classic, 3);
    assert_eq!(emulator.token_requests().stable, 0, "the stable token is another matter");
}

#[tokio::test]
async fn with_an_overlap_the_replaced_classic_token_keeps_working_for_a_while() {
    let emulator = Emulator::builder()
        .classic_token_overlap(Duration::from_secs(300))
        .player(OPENID, SessionKey::new(FIRST_KEY).unwrap(), 100)
        .start()
        .await
        .unwrap();
    let ours = classic(&emulator);
    let first = ours.token().await.unwrap();
    classic(&emulator).token().await.unwrap();
    let ours_client = client_with_static(&emulator, first.clone());
    ours_client.get_balance(&first_player()).await.unwrap();
    emulator.advance_clock(Duration::from_secs(300));
    let error = ours_client.get_balance(&first_player()).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::TokenInvalid), "{error}");
}

fn client_with_static(
    emulator: &Emulator,
    token: midas_api::AccessToken,
) -> Client<ReqwestTransport, midas_api::StaticToken> {
    client(emulator, midas_api::StaticToken::new(token))
}

#[tokio::test]
async fn code2session_rotates_the_session_key_and_codes_are_single_use() {
    let emulator = emulator().await;
    let sessions = Sessions::new(app(&emulator), ReqwestTransport::new().unwrap());
    let code = emulator.issue_login_code(OPENID);
    let first = sessions.code2session(&code).await.unwrap();
    assert_eq!(first.openid, OPENID);
    assert_ne!(first.session_key.expose_secret(), FIRST_KEY, "a login issues a new key");

    let reused = sessions.code2session(&code).await.unwrap_err();
    assert_eq!(api_kind(&reused), Some(ApiErrorKind::CodeUsed), "{reused}");
    let unknown = sessions.code2session("never-issued").await.unwrap_err();
    assert_eq!(api_kind(&unknown), Some(ApiErrorKind::InvalidCode), "{unknown}");
    emulator.register_code("code-from-the-game", OPENID);
    let second = sessions.code2session("code-from-the-game").await.unwrap();
    assert_ne!(second.session_key.expose_secret(), first.session_key.expose_secret());

    let token = emulator.access_token();
    assert!(sessions.check_session_key(&token, OPENID, &second.session_key).await.unwrap());
    assert!(!sessions.check_session_key(&token, OPENID, &first.session_key).await.unwrap());
    let bad_token = midas_api::AccessToken::new("not-issued").unwrap();
    let error = sessions.check_session_key(&bad_token, OPENID, &second.session_key).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::TokenInvalid), "{error}");
}

#[tokio::test]
async fn a_midas_call_signed_with_the_rotated_away_key_fails_and_the_new_key_works() {
    let emulator = emulator().await;
    let sessions = Sessions::new(app(&emulator), ReqwestTransport::new().unwrap());
    let client = client(&emulator, stable(&emulator));
    let old = first_player();
    client.get_balance(&old).await.unwrap();
    let session = sessions.code2session(&emulator.issue_login_code(OPENID)).await.unwrap();
    let new = player(&session.session_key);

    // Midas 2.0: a signature made with a replaced key reads as an expired session.
    let error = client.v2().get_balance(&old).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::SessionExpired), "{error}");
    assert_eq!(client.v2().get_balance(&new).await.unwrap().balance, 100);
    // Midas 1.0: the old key's mp_sig is refused (90009).
    let error = client.get_balance(&old).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::MpSigRejected), "{error}");
    assert_eq!(client.get_balance(&new).await.unwrap().balance, 100);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_both_token_apis_and_code2session() {
    let emulator = emulator().await;
    let wrong = AppCredentials::new(emulator.appid(), AppSecret::new("not-the-secret").unwrap())
        .with_base_url(emulator.base_url())
        .unwrap();
    let stable = StableTokenSource::new(wrong.clone(), ReqwestTransport::new().unwrap());
    assert_eq!(stable.token().await.unwrap_err().errcode(), Some(40125));
    let classic = ClassicTokenSource::new(wrong.clone(), ReqwestTransport::new().unwrap());
    assert_eq!(classic.token().await.unwrap_err().errcode(), Some(40001));
    let sessions = Sessions::new(wrong, ReqwestTransport::new().unwrap());
    let error = sessions.code2session(&emulator.issue_login_code(OPENID)).await.unwrap_err();
    assert_eq!(error.as_api().map(|api| api.errcode()), Some(40125), "{error}");
    assert_eq!(emulator.token_requests().refused, 2);
}
