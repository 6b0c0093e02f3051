//! Endpoints a service declares itself, served by the local server: a handler registered for
//! a `#[midas_api]` request answers it end to end, behind the same token and signature checks
//! as the built-in APIs.

use std::sync::{Arc, Mutex};

use midas_api::{Client, Env, Error, Player, Scheme, SessionKey, StaticToken, midas_api};
use midas_emulator::{Emulator, InvalidRoute, Route, RouteError, RouteFields, RouteRequest};
use midas_tests::emulator_config;
use serde::Deserialize;

const OPENID: &str = "player-routes";
const SESSION_KEY: &str = "route-session-key";

/// A game's own endpoint: grant a title to a player.
#[midas_api(scheme = "xpay", path = "/xpay/grant_title", response = GrantTitleResponse, user_signature = true)]
#[derive(Clone, Debug)]
pub struct GrantTitle {
    /// The title.
    pub title: String,
    /// The season.
    pub season: i64,
}

/// The answer to [`GrantTitle`].
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct GrantTitleResponse {
    /// Titles the player holds now.
    pub titles: u64,
}

/// An endpoint without the player's signature.
#[midas_api(scheme = "xpay", path = "/xpay/season_info", response = SeasonInfoResponse, openid = false)]
#[derive(Clone, Debug)]
pub struct SeasonInfo {
    /// The season.
    pub season: i64,
}

/// The answer to [`SeasonInfo`].
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct SeasonInfoResponse {
    /// The season's name.
    pub name: String,
}

fn titles_route(granted: Arc<Mutex<Vec<(String, String, Env)>>>) -> Route {
    Route::of::<GrantTitle>(move |request: &RouteRequest<'_>| {
        let title = request.text("title")?.to_owned();
        if request.integer("season")? < 1 {
            return Err(request.invalid("season", "must be at least 1"));
        }
        let openid = request.openid().ok_or_else(|| request.missing("openid"))?.to_owned();
        let mut granted = granted.lock().unwrap();
        granted.push((openid, title, request.env()));
        let mut fields = RouteFields::new();
        fields.insert("titles".into(), granted.len().into());
        Ok(fields)
    })
    .unwrap()
}

async fn setup() -> (Emulator, Client<midas_api::ReqwestTransport, StaticToken>, Player) {
    let emulator = Emulator::start().await.unwrap();
    emulator.add_player(OPENID, SessionKey::new(SESSION_KEY).unwrap(), 0);
    let config = emulator_config(&emulator, Env::Sandbox).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    let player = Player::new(OPENID).with_session_key(SessionKey::new(SESSION_KEY).unwrap());
    (emulator, client, player)
}

#[tokio::test]
async fn a_declared_endpoint_is_served_by_its_registered_handler() {
    let (emulator, client, player) = setup().await;
    let granted = Arc::new(Mutex::new(Vec::new()));
    emulator.add_route(titles_route(Arc::clone(&granted))).unwrap();

    let answer =
        client.call(&player, &GrantTitle { title: "dragon slayer".into(), season: 3 }).await.unwrap();
    assert_eq!(answer, GrantTitleResponse { titles: 1 });
    assert_eq!(*granted.lock().unwrap(), vec![(OPENID.to_owned(), "dragon slayer".to_owned(), Env::Sandbox)]);

    // The handler's own refusal comes back as the scheme's parameter error.
    let refused = client.call(&player, &GrantTitle { title: "early bird".into(), season: 0 }).await;
    match refused {
        Err(Error::Api(error)) => {
            assert_eq!(error.errcode(), 268_490_002);
            assert!(error.errmsg().contains("[season]"), "{}", error.errmsg());
        }
        other => panic!("expected the handler's refusal, got {other:?}"),
    }
    assert_eq!(granted.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_route_is_behind_the_token_and_signature_checks() {
    let (emulator, _, player) = setup().await;
    let granted = Arc::new(Mutex::new(Vec::new()));
    emulator.add_route(titles_route(Arc::clone(&granted))).unwrap();

    // A client with the wrong payment key: pay_sig does not check out.
    let wrong_key = emulator_config(&emulator, Env::Sandbox)
        .payment_sandbox_key(midas_api::AppKey::new("not-the-payment-key").unwrap())
        .build()
        .unwrap();
    let client = Client::new(wrong_key, StaticToken::new(emulator.access_token())).unwrap();
    let refused = client.call(&player, &GrantTitle { title: "t".into(), season: 1 }).await;
    assert!(matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_003), "{refused:?}");

    // A player with another session key: signature does not check out.
    let config = emulator_config(&emulator, Env::Sandbox).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    let impostor = Player::new(OPENID).with_session_key(SessionKey::new("another-key").unwrap());
    let refused = client.call(&impostor, &GrantTitle { title: "t".into(), season: 1 }).await;
    assert!(matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_003), "{refused:?}");

    // An unknown player.
    let stranger = Player::new("stranger").with_session_key(SessionKey::new("k").unwrap());
    let refused = client.call(&stranger, &GrantTitle { title: "t".into(), season: 1 }).await;
    assert!(matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_001), "{refused:?}");

    // A replaced token.
    emulator.rotate_token();
    let refused = client.call(&player, &GrantTitle { title: "t".into(), season: 1 }).await;
    assert!(refused.is_err(), "a replaced token is refused");
    assert!(granted.lock().unwrap().is_empty(), "no refused call reached the handler");
}

#[tokio::test]
async fn routes_are_registered_at_start_and_cannot_shadow_built_in_apis() {
    let season = Route::of::<SeasonInfo>(|request: &RouteRequest<'_>| {
        let season = request.integer("season")?;
        let mut fields = RouteFields::new();
        fields.insert("name".into(), format!("season {season}").into());
        Ok(fields)
    })
    .unwrap();
    let emulator = Emulator::builder().route(season).start().await.unwrap();
    let config = emulator_config(&emulator, Env::Production).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    let answer = client.call(&Player::new("anyone"), &SeasonInfo { season: 7 }).await.unwrap();
    assert_eq!(answer.name, "season 7");

    let shadow = Route::new(Scheme::Xpay, "/xpay/currency_pay", false, |_: &RouteRequest<'_>| {
        Err(RouteError::new(1, "never"))
    })
    .unwrap();
    assert_eq!(emulator.add_route(shadow.clone()), Err(InvalidRoute::Taken("/xpay/currency_pay".into())));
    let refused = Emulator::builder().route(shadow).start().await;
    assert!(matches!(refused, Err(midas_emulator::StartError::Route(InvalidRoute::Taken(_)))));
    let v1 =
        Route::new(Scheme::V1, "/cgi-bin/midas/mine", false, |_: &RouteRequest<'_>| Ok(RouteFields::new()));
    assert!(matches!(v1, Err(InvalidRoute::Scheme(_))));
}
