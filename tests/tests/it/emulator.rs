//! The client against the emulator over real loopback HTTP (reqwest): every endpoint in both
//! environments, the signature and token errors, and each fault, after which the client's
//! retry leaves the books exactly as one successful call would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use midas_api::{
    AccessToken, ApiErrorKind, CancelPay, Client, Config, Env, Error, Pay, Player, Present, ReqwestTransport,
    RetryPolicy, SessionKey, StaticToken, TokenError, TokenSource, TransportErrorKind,
};
use midas_emulator::{Api, Change, Emulator, Fault, FaultKind, FaultRates};
use midas_tests::emulator_config;

const OPENID: &str = "player-1";
const SESSION_KEY: &str = "V7Q38/i2KXaqrQyl2Yx9Hg==";
const STARTING_BALANCE: i64 = 100;
/// The client gives up on an attempt after this long; a delay fault lasts longer.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(300);
const LONG_DELAY: Duration = Duration::from_secs(2);

async fn emulator() -> Emulator {
    let emulator = Emulator::start().await.expect("the emulator starts on a free port");
    emulator.add_player(OPENID, session_key(), STARTING_BALANCE);
    emulator
}

fn session_key() -> SessionKey {
    SessionKey::new(SESSION_KEY).expect("not empty")
}

fn player() -> Player {
    Player::new(OPENID).with_session_key(session_key())
}

/// Fast retries: up to 4 attempts, 1–5 ms apart.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_deadline(Duration::from_secs(10))
}

fn config(emulator: &Emulator, env: Env, retry: RetryPolicy) -> Config {
    emulator_config(emulator, env)
        .timeout(CLIENT_TIMEOUT)
        .retry(retry)
        .build()
        .expect("a valid configuration")
}

fn client(emulator: &Emulator, env: Env) -> Client<ReqwestTransport, StaticToken> {
    client_with(emulator, env, fast_retry())
}

fn client_with(emulator: &Emulator, env: Env, retry: RetryPolicy) -> Client<ReqwestTransport, StaticToken> {
    Client::new(config(emulator, env, retry), StaticToken::new(emulator.access_token()))
        .expect("a reqwest client")
}

fn api_kind(error: &Error) -> Option<ApiErrorKind> {
    error.as_api().map(|api| api.kind())
}

/// The changes recorded for one bill, in order.
fn changes_of(emulator: &Emulator, bill_no: &str) -> Vec<Change> {
    emulator
        .effects()
        .into_iter()
        .filter(|effect| effect.bill_no == bill_no)
        .map(|effect| effect.change)
        .collect()
}

fn sandbox_balance(emulator: &Emulator) -> i64 {
    emulator.balance(Env::Sandbox, OPENID).expect("a registered player").balance
}

#[tokio::test]
async fn every_endpoint_answers_in_both_environments() {
    let emulator = emulator().await;
    for (env, offset) in [(Env::Production, 0), (Env::Sandbox, 7)] {
        let client = client(&emulator, env);
        let start = client.get_balance(&player()).await.unwrap();
        assert_eq!(
            (start.balance, start.gen_balance, start.save_amt, start.first_save),
            (100, 0, 100, false)
        );

        let gift = Present { bill_no: format!("gift-{env}"), present_counts: 20 + offset };
        let gift = client.present(&player(), gift).await.unwrap();
        assert_eq!(gift.balance, 120 + offset);

        let pay =
            Pay { amt: 50, bill_no: format!("pay-{env}"), pay_item: Some("sword".into()), app_remark: None };
        let paid = client.pay(&player(), pay).await.unwrap();
        assert_eq!(
            (paid.balance, paid.used_gen_amt),
            (70 + offset, 20 + offset),
            "gifted coins are spent first"
        );

        let cancel = CancelPay { bill_no: format!("pay-{env}"), pay_item: None };
        assert_eq!(client.cancel_pay(&player(), cancel).await.unwrap().bill_no, format!("pay-{env}"));

        let end = client.get_balance(&player()).await.unwrap();
        assert_eq!(
            (end.balance, end.gen_balance, end.cost_sum, end.present_sum),
            (120 + offset, 20 + offset, 0, 20 + offset)
        );
    }
    // Each environment kept its own books.
    let effects = emulator.effects();
    assert_eq!(effects.len(), 6);
    assert!(effects[..3].iter().all(|effect| effect.env == Env::Production));
    assert!(effects[3..].iter().all(|effect| effect.env == Env::Sandbox));
    assert_eq!(emulator.balance(Env::Production, OPENID).map(|b| b.balance), Some(120));
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(127));
}

#[tokio::test]
async fn the_other_environments_key_is_a_sig_rejection_with_the_masked_signed_string() {
    let emulator = emulator().await;
    let config = Config::builder(emulator.appid(), emulator.offer_id(), Env::Sandbox)
        .base_url(emulator.base_url())
        .sandbox_key(emulator.production_key().clone())
        .timeout(CLIENT_TIMEOUT)
        .retry(fast_retry())
        .build()
        .unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    let error = client.get_balance(&player()).await.unwrap_err();
    let api = error.as_api().expect("an API error");
    assert_eq!((api.kind(), api.errcode()), (ApiErrorKind::SigRejected, 90011));
    let signed = api.signed().expect("the signed string comes with a sig rejection");
    assert!(
        signed.sig.contains("&org_loc=/cgi-bin/midas/sandbox/getbalance&method=POST&secret=***"),
        "{}",
        signed.sig
    );
    assert!(!signed.sig.contains(emulator.production_key().expose_secret()), "the key is masked");
    assert_eq!(emulator.requests(), 1, "a signature rejection is not retried");
}

#[tokio::test]
async fn a_wrong_session_key_is_an_mp_sig_rejection() {
    let emulator = emulator().await;
    let stranger_key = Player::new(OPENID).with_session_key(SessionKey::new("not-the-session-key").unwrap());
    let error = client(&emulator, Env::Sandbox).get_balance(&stranger_key).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::MpSigRejected));
    assert_eq!(error.as_api().map(|api| api.errcode()), Some(90009));
}

#[tokio::test]
async fn without_a_session_key_only_sig_is_checked() {
    let emulator = emulator().await;
    let response = client(&emulator, Env::Sandbox).get_balance(&Player::new(OPENID)).await.unwrap();
    assert_eq!(response.balance, STARTING_BALANCE);
}

#[tokio::test]
async fn an_unknown_or_logged_out_player_is_not_logged_in() {
    let emulator = emulator().await;
    let client = client(&emulator, Env::Sandbox);
    let error = client.get_balance(&Player::new("nobody")).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::SessionExpired));
    emulator.log_out(OPENID);
    let error = client.get_balance(&player()).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::SessionExpired));
}

#[tokio::test]
async fn ledger_refusals_reach_the_client_typed() {
    let emulator = emulator().await;
    let client = client(&emulator, Env::Sandbox);
    let pay = |bill_no: &str, amt| Pay { amt, bill_no: bill_no.into(), pay_item: None, app_remark: None };

    let error = client.pay(&player(), pay("too-much", 101)).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::InsufficientBalance));

    client.pay(&player(), pay("order-1", 10)).await.unwrap();
    // The same request again is answered with the first result; another order is refused.
    let again = client.pay(&player(), pay("order-1", 10)).await.unwrap();
    assert_eq!(again.balance, 90);
    let error = client.pay(&player(), pay("order-1", 20)).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::OrderExists));

    let cancel = |bill_no: &str| CancelPay { bill_no: bill_no.into(), pay_item: None };
    let error = client.cancel_pay(&player(), cancel("never-paid")).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::OrderNotFound));
    client.cancel_pay(&player(), cancel("order-1")).await.unwrap();
    let error = client.cancel_pay(&player(), cancel("order-1")).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::AlreadyRolledBack));

    assert_eq!(sandbox_balance(&emulator), STARTING_BALANCE);
    assert_eq!(changes_of(&emulator, "order-1").len(), 2, "one deduction, one cancellation");
}

/// A token cache in front of the emulator, as a shared token service would be: it keeps the
/// token it fetched until the client reports it refused, then fetches the current one.
struct EmulatorToken {
    emulator: Arc<Emulator>,
    cached: Mutex<Option<AccessToken>>,
    refreshes: AtomicUsize,
}

impl TokenSource for EmulatorToken {
    async fn token(&self) -> Result<AccessToken, TokenError> {
        let mut cached = self.cached.lock().unwrap();
        Ok(cached.get_or_insert_with(|| self.emulator.access_token()).clone())
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let current = self.emulator.access_token();
        if current == *rejected {
            return Err(TokenError::new(None, "the emulator has no newer token", false));
        }
        self.cached.lock().unwrap().replace(current.clone());
        Ok(current)
    }
}

#[tokio::test]
async fn a_replaced_token_is_refreshed_and_the_call_goes_through() {
    let emulator = Arc::new(emulator().await);
    let tokens = Arc::new(EmulatorToken {
        emulator: Arc::clone(&emulator),
        cached: Mutex::new(None),
        refreshes: AtomicUsize::new(0),
    });
    let client = Client::new(config(&emulator, Env::Sandbox, fast_retry()), Arc::clone(&tokens)).unwrap();
    client.get_balance(&player()).await.unwrap();

    let fresh = emulator.rotate_token();
    let present = Present { bill_no: "after-refresh".into(), present_counts: 5 };
    assert_eq!(client.present(&player(), present).await.unwrap().balance, 105);
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.cached.lock().unwrap().clone(), Some(fresh));
    assert_eq!(emulator.requests(), 3, "get_balance, the refused present, the present with the new token");
    assert_eq!(changes_of(&emulator, "after-refresh"), [Change::Present { present_counts: 5 }]);
}

#[tokio::test]
async fn a_replaced_static_token_is_reported_as_token_invalid() {
    let emulator = emulator().await;
    let client = client(&emulator, Env::Production);
    emulator.rotate_token();
    let error = client.get_balance(&player()).await.unwrap_err();
    assert_eq!(api_kind(&error), Some(ApiErrorKind::TokenInvalid));
    assert_eq!(error.as_api().map(|api| api.errcode()), Some(40001));
}

/// The four faults, each in the form used below.
fn faults() -> [Fault; 4] {
    [Fault::BusyBefore, Fault::BusyAfter, Fault::DropAfter, Fault::DelayAfter(LONG_DELAY)]
}

#[tokio::test]
async fn after_any_fault_a_retried_pay_deducts_once_and_answers_the_first_result() {
    for fault in faults() {
        let emulator = emulator().await;
        emulator.inject_for(Api::Pay, fault);
        let pay = Pay { amt: 30, bill_no: "pay-1".into(), pay_item: None, app_remark: None };
        let paid = client(&emulator, Env::Sandbox).pay(&player(), pay).await;
        let paid = paid.unwrap_or_else(|error| panic!("{fault:?}: {error}"));
        assert_eq!((paid.bill_no.as_str(), paid.balance, paid.used_gen_amt), ("pay-1", 70, 0), "{fault:?}");
        assert_eq!(changes_of(&emulator, "pay-1"), [Change::Pay { amt: 30, used_gen_amt: 0 }], "{fault:?}");
        assert_eq!(sandbox_balance(&emulator), 70, "{fault:?}");
        assert_eq!(emulator.fault_counts().of(fault.kind()), 1, "{fault:?} was injected");
        assert_eq!(emulator.fault_counts().total(), 1);
        assert_eq!(emulator.requests(), 2, "{fault:?}: one failed attempt, one retry");
    }
}

#[tokio::test]
async fn after_a_fault_that_applied_a_present_the_client_reports_already_processed() {
    for fault in faults() {
        let emulator = emulator().await;
        emulator.inject_for(Api::Present, fault);
        let present = Present { bill_no: "gift-1".into(), present_counts: 25 };
        let result = client(&emulator, Env::Sandbox).present(&player(), present).await;
        if fault.applies() {
            match result {
                Err(Error::AlreadyProcessed { api: "present", bill_no }) => assert_eq!(bill_no, "gift-1"),
                other => panic!("{fault:?}: expected AlreadyProcessed, got {other:?}"),
            }
        } else {
            assert_eq!(result.unwrap().balance, 125, "{fault:?}");
        }
        assert_eq!(changes_of(&emulator, "gift-1"), [Change::Present { present_counts: 25 }], "{fault:?}");
        assert_eq!(sandbox_balance(&emulator), 125, "{fault:?}");
        assert_eq!(emulator.fault_counts().total(), 1);
    }
}

#[tokio::test]
async fn after_a_fault_that_applied_a_cancelpay_the_client_reports_already_processed() {
    for fault in faults() {
        let emulator = emulator().await;
        let client = client(&emulator, Env::Sandbox);
        let pay = Pay { amt: 40, bill_no: "pay-1".into(), pay_item: None, app_remark: None };
        client.pay(&player(), pay).await.unwrap();
        emulator.inject_for(Api::CancelPay, fault);
        let cancel = CancelPay { bill_no: "pay-1".into(), pay_item: None };
        let result = client.cancel_pay(&player(), cancel).await;
        if fault.applies() {
            assert!(
                matches!(result, Err(Error::AlreadyProcessed { api: "cancelpay", .. })),
                "{fault:?}: {result:?}"
            );
        } else {
            assert_eq!(result.unwrap().bill_no, "pay-1");
        }
        let changes = changes_of(&emulator, "pay-1");
        assert_eq!(changes[1..], [Change::CancelPay { amt: 40, restored_gen_amt: 0 }], "{fault:?}");
        assert_eq!(sandbox_balance(&emulator), STARTING_BALANCE, "{fault:?}");
    }
}

#[tokio::test]
async fn after_any_fault_a_retried_get_balance_answers() {
    for fault in faults() {
        let emulator = emulator().await;
        emulator.inject(fault);
        let balance = client(&emulator, Env::Production).get_balance(&player()).await;
        assert_eq!(balance.unwrap_or_else(|error| panic!("{fault:?}: {error}")).balance, STARTING_BALANCE);
        assert_eq!(emulator.pending_faults(), 0);
        assert!(emulator.effects().is_empty());
    }
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_after_the_effect() {
    let emulator = emulator().await;
    emulator.inject_for(Api::Pay, Fault::DropAfter);
    let client = client_with(&emulator, Env::Sandbox, RetryPolicy::never());
    let pay = Pay { amt: 10, bill_no: "pay-1".into(), pay_item: None, app_remark: None };
    let error = client.pay(&player(), pay).await.unwrap_err();
    let Error::Transport(transport) = &error else { panic!("expected a transport error, got {error:?}") };
    // Sent, then the connection closed without an answer: the outcome is open.
    assert_eq!(transport.kind(), TransportErrorKind::Interrupted, "{transport:?}");
    assert!(error.is_retryable());
    assert_eq!(sandbox_balance(&emulator), 90, "the deduction was applied before the drop");
}

#[tokio::test]
async fn a_delay_beyond_the_timeout_is_a_timeout_after_the_effect() {
    let emulator = emulator().await;
    emulator.inject_for(Api::Present, Fault::DelayAfter(LONG_DELAY));
    let client = client_with(&emulator, Env::Sandbox, RetryPolicy::never());
    let error =
        client.present(&player(), Present { bill_no: "gift-1".into(), present_counts: 5 }).await.unwrap_err();
    assert!(matches!(&error, Error::Transport(t) if t.kind() == TransportErrorKind::Timeout), "{error:?}");
    assert_eq!(sandbox_balance(&emulator), 105, "the gift was applied before the delay");
    assert_eq!(emulator.fault_counts().of(FaultKind::DelayAfter), 1);
}

#[tokio::test]
async fn under_seeded_random_faults_every_order_is_applied_exactly_once() {
    let rates = FaultRates { busy_before: 0.15, busy_after: 0.15, drop_after: 0.15, ..FaultRates::default() };
    let emulator = Emulator::builder().seed(2024).fault_rates(rates).player(OPENID, session_key(), 1_000);
    let emulator = emulator.start().await.unwrap();
    let retry = fast_retry().with_max_attempts(10);
    let client = client_with(&emulator, Env::Sandbox, retry);
    let mut expected = 1_000;
    for round in 0..20 {
        let gift = Present { bill_no: format!("gift-{round}"), present_counts: 7 };
        match client.present(&player(), gift).await {
            Ok(_) | Err(Error::AlreadyProcessed { .. }) => expected += 7,
            Err(error) => panic!("gift {round}: {error}"),
        }
        let pay = Pay { amt: 11, bill_no: format!("pay-{round}"), pay_item: None, app_remark: None };
        client.pay(&player(), pay).await.unwrap_or_else(|error| panic!("pay {round}: {error}"));
        expected -= 11;
    }
    assert_eq!(sandbox_balance(&emulator), expected);
    let effects = emulator.effects();
    assert_eq!(effects.len(), 40, "one effect per order, never two");
    let counts = emulator.fault_counts();
    assert!(counts.busy_before > 0 && counts.busy_after > 0 && counts.drop_after > 0, "{counts:?}");
}
