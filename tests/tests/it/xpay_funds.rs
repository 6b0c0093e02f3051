//! xpay merchant funds against the local server: the balance, withdrawals and their state.

use midas_api::xpay::{
    BizBalanceResponse, CreateWithdrawOrder, QueryBizBalance, QueryWithdrawOrder, WithdrawAmount, WithdrawNo,
    WithdrawResponse, WithdrawStatus, Yuan,
};
use midas_api::{ApiErrorKind, Client, Env, Error, Player, RetryPolicy, Rule, StaticToken};
use midas_emulator::{Emulator, WITHDRAW_POLLS, WithdrawalStatus};
use midas_tests::emulator_config;

type TestClient = Client<midas_api::ReqwestTransport, StaticToken>;

async fn setup() -> (Emulator, TestClient) {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_config(&emulator, Env::Sandbox).retry(RetryPolicy::never()).build().unwrap();
    let client = Client::new(config, StaticToken::new(emulator.access_token())).unwrap();
    (emulator, client)
}

fn merchant() -> Player {
    Player::new("merchant")
}

fn withdraw(no: &str, amount: Option<&str>) -> CreateWithdrawOrder {
    CreateWithdrawOrder {
        withdraw_no: WithdrawNo::new(no).unwrap(),
        withdraw_amount: amount.map(|amount| WithdrawAmount::parse(amount).unwrap()),
    }
}

fn query(no: &str) -> QueryWithdrawOrder {
    QueryWithdrawOrder { withdraw_no: WithdrawNo::new(no).unwrap() }
}

async fn balance(client: &TestClient) -> u64 {
    client.call(&merchant(), &QueryBizBalance {}).await.unwrap().balance_available.amount.fen()
}

#[tokio::test]
async fn a_withdrawal_takes_money_off_the_balance_and_succeeds_at_the_documented_poll() {
    let (emulator, client) = setup().await;
    emulator.funds().credit(Env::Sandbox, 10_000);
    let answer = client.call(&merchant(), &QueryBizBalance {}).await.unwrap();
    assert_eq!(
        (answer.balance_available.amount, answer.balance_available.currency_code.as_str()),
        (Yuan::from_fen(10_000), "CNY")
    );

    let created = client.call(&merchant(), &withdraw("withdraw-0001", Some("25.5"))).await.unwrap();
    assert_eq!(created.withdraw_no, "withdraw-0001");
    assert!(!created.wx_withdraw_no.is_empty());
    assert_eq!(balance(&client).await, 7_450);
    assert_eq!(emulator.funds().balance(Env::Sandbox), 7_450);
    assert_eq!(emulator.funds().balance(Env::Production), 0, "the other environment is untouched");

    for _ in 1..WITHDRAW_POLLS {
        let state = client.call(&merchant(), &query("withdraw-0001")).await.unwrap();
        assert_eq!(
            (state.status(), state.withdraw_amount.fen(), state.withdraw_success_timestamp),
            (WithdrawStatus::InProgress, 2_550, None)
        );
    }
    let state = client.call(&merchant(), &query("withdraw-0001")).await.unwrap();
    assert_eq!(state.status(), WithdrawStatus::Succeeded);
    assert_eq!(state.wx_withdraw_no, created.wx_withdraw_no);
    assert!(state.withdraw_success_timestamp.is_some_and(|at| at > 1_600_000_000));
    let kept = emulator.funds().withdrawal(Env::Sandbox, "withdraw-0001").unwrap();
    assert_eq!(
        (kept.status, kept.amount_fen, kept.queries),
        (WithdrawalStatus::Succeeded, 2_550, WITHDRAW_POLLS)
    );
}

#[tokio::test]
async fn the_same_withdraw_no_answers_the_first_and_another_amount_is_refused() {
    let (emulator, client) = setup().await;
    emulator.funds().credit(Env::Sandbox, 5_000);
    let first = client.call(&merchant(), &withdraw("withdraw-0002", Some("10.00"))).await.unwrap();
    let again = client.call(&merchant(), &withdraw("withdraw-0002", Some("10"))).await.unwrap();
    assert_eq!(first, again, "the same withdrawal, answered again");
    assert_eq!(emulator.funds().balance(Env::Sandbox), 4_000, "taken once");

    let other = client.call(&merchant(), &withdraw("withdraw-0002", Some("10.01"))).await;
    assert!(
        matches!(&other, Err(Error::Api(error)) if error.errcode() == 268_490_002 && error.kind() == ApiErrorKind::InvalidParameter),
        "{other:?}"
    );
    let whole = client.call(&merchant(), &withdraw("withdraw-0002", None)).await;
    assert!(matches!(&whole, Err(Error::Api(error)) if error.errcode() == 268_490_002), "{whole:?}");
    assert_eq!(emulator.funds().balance(Env::Sandbox), 4_000, "refusals change nothing");
}

#[tokio::test]
async fn without_an_amount_the_whole_balance_goes_and_a_failed_withdrawal_gives_it_back() {
    let (emulator, client) = setup().await;
    emulator.funds().credit(Env::Sandbox, 999);
    client.call(&merchant(), &withdraw("withdraw-0003", None)).await.unwrap();
    assert_eq!(emulator.funds().balance(Env::Sandbox), 0);
    assert_eq!(emulator.funds().withdrawal(Env::Sandbox, "withdraw-0003").unwrap().amount_fen, 999);

    assert!(emulator.funds().fail_withdrawal(Env::Sandbox, "withdraw-0003", "bank account closed"));
    assert_eq!(balance(&client).await, 999, "given back");
    let state = client.call(&merchant(), &query("withdraw-0003")).await.unwrap();
    assert_eq!((state.status(), state.fail_reason.as_str()), (WithdrawStatus::Failed, "bank account closed"));
    assert!(!emulator.funds().finish_withdrawal(Env::Sandbox, "withdraw-0003"), "a failed one stays failed");

    client.call(&merchant(), &withdraw("withdraw-0004", Some("1.00"))).await.unwrap();
    assert!(emulator.funds().finish_withdrawal(Env::Sandbox, "withdraw-0004"));
    let state = client.call(&merchant(), &query("withdraw-0004")).await.unwrap();
    assert_eq!(state.status(), WithdrawStatus::Succeeded, "finished by the driver, before the polls");
}

#[tokio::test]
async fn more_than_the_balance_nothing_at_all_and_unknown_withdrawals_are_refused() {
    let (emulator, client) = setup().await;
    emulator.funds().credit(Env::Sandbox, 100);
    let too_much = client.call(&merchant(), &withdraw("withdraw-0005", Some("1.01"))).await;
    assert!(matches!(&too_much, Err(Error::Api(error)) if error.errcode() == 268_490_002), "{too_much:?}");
    client.call(&merchant(), &withdraw("withdraw-0006", None)).await.unwrap();
    let nothing_left = client.call(&merchant(), &withdraw("withdraw-0007", None)).await;
    assert!(
        matches!(&nothing_left, Err(Error::Api(error)) if error.errcode() == 268_490_002),
        "{nothing_left:?}"
    );
    let unknown = client.call(&merchant(), &query("withdraw-9999")).await;
    assert!(matches!(&unknown, Err(Error::Api(error)) if error.errcode() == 268_490_002), "{unknown:?}");
    assert_eq!(emulator.funds().withdrawal(Env::Sandbox, "withdraw-0005"), None);
}

#[tokio::test]
async fn bad_withdraw_numbers_and_amounts_are_refused_before_anything_is_sent() {
    let (emulator, client) = setup().await;
    let short = WithdrawNo::new("wd-1").unwrap_err();
    assert_eq!((short.field(), short.rule()), ("withdraw_no", &Rule::Range { min: 8, max: 32 }));
    assert_eq!(WithdrawNo::new("w".repeat(33)).unwrap_err().rule(), &Rule::Range { min: 8, max: 32 });
    assert_eq!(WithdrawNo::new("withdraw#0001").unwrap_err().rule(), &Rule::BillNo);
    assert_eq!(WithdrawAmount::from_fen(0).unwrap_err().rule(), &Rule::Positive);
    for bad in ["1.001", "-1", "1e2", "", "1.", ".5", "0.00", "１"] {
        let refused = WithdrawAmount::parse(bad).unwrap_err();
        assert_eq!(refused.field(), "withdraw_amount", "{bad:?}");
        assert!(matches!(Error::from(refused), Error::Validation(_)));
    }
    assert_eq!("184467440737095516.15".parse::<Yuan>().unwrap().fen(), u64::MAX);
    assert!("184467440737095516.16".parse::<Yuan>().is_err(), "past u64 fen: refused, never wrapped");
    assert_eq!(emulator.requests(), 0, "nothing was sent");

    let dry_run = client.prepare(&merchant(), &withdraw("withdraw-0001", Some("0.1"))).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&dry_run.body).unwrap();
    assert_eq!(body["withdraw_no"], "withdraw-0001");
    assert_eq!(body["withdraw_amount"], "0.10", "yuan as decimal text, exact");
    assert!(body.get("openid").is_none(), "the merchant's APIs carry no openid");
    let whole = client.prepare(&merchant(), &withdraw("withdraw-0001", None)).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&whole.body).unwrap();
    assert!(body.get("withdraw_amount").is_none(), "no amount: the whole balance");
}

#[test]
fn the_documented_answers_decode() {
    // Fields as the docs list them (amounts in yuan as text, the timestamp in seconds).
    let balance: BizBalanceResponse = serde_json::from_str(
        r#"{"errcode":0,"errmsg":"ok","balance_available":{"amount":"0.01","currency_code":"CNY"}}"#,
    )
    .unwrap();
    assert_eq!(balance.balance_available.amount.fen(), 1);
    let state: WithdrawResponse = serde_json::from_str(
        r#"{"errcode":0,"errmsg":"ok","withdraw_no":"withdraw-0001","status":1,"withdraw_amount":"0.01",
            "wx_withdraw_no":"","withdraw_success_timestamp":0,"create_time":"","failReason":""}"#,
    )
    .unwrap();
    assert_eq!(
        (state.status(), state.withdraw_amount.fen(), state.withdraw_success_timestamp),
        (WithdrawStatus::InProgress, 1, Some(0))
    );
    let numeric: WithdrawResponse = serde_json::from_str(
        r#"{"withdraw_no":"withdraw-0001","status":"3","withdraw_amount":12.5,"fail_reason":"closed"}"#,
    )
    .unwrap();
    assert_eq!(
        (numeric.status(), numeric.withdraw_amount.fen(), numeric.fail_reason.as_str()),
        (WithdrawStatus::Failed, 1_250, "closed")
    );
}

/// `create_withdraw_order` with untyped fields: what a client without the typed rules sends.
#[midas_api::midas_api(scheme = "xpay", path = "/xpay/create_withdraw_order", response = Untyped, openid = false)]
#[derive(Clone, Debug)]
pub struct UntypedWithdraw {
    /// Any text.
    pub withdraw_no: String,
    /// Any text.
    pub withdraw_amount: Option<String>,
}

/// Any answer.
#[derive(Debug, serde::Deserialize)]
pub struct Untyped {}

#[tokio::test]
async fn the_server_refuses_what_the_typed_rules_would_not_send() {
    let (emulator, client) = setup().await;
    emulator.funds().credit(Env::Sandbox, 1_000);
    for (withdraw_no, amount, field) in [
        ("short", Some("1.00"), "withdraw_no"),
        ("withdraw#0001", Some("1.00"), "withdraw_no"),
        ("withdraw-0001", Some("1.001"), "withdraw_amount"),
        ("withdraw-0001", Some("-1"), "withdraw_amount"),
        ("withdraw-0001", Some("0"), "withdraw_amount"),
    ] {
        let request =
            UntypedWithdraw { withdraw_no: withdraw_no.into(), withdraw_amount: amount.map(Into::into) };
        let refused = client.call(&merchant(), &request).await;
        assert!(
            matches!(&refused, Err(Error::Api(error)) if error.errcode() == 268_490_002 && error.errmsg().contains(field)),
            "{withdraw_no} {amount:?}: {refused:?}"
        );
    }
    assert_eq!(emulator.funds().balance(Env::Sandbox), 1_000, "nothing taken");
}
