//! Whatever reaches the money endpoints (extreme amounts, amounts that are not `i64`, bodies
//! that are not JSON), the server answers JSON and the books stay consistent.

use std::collections::HashMap;

use midas_emulator::{Api, Change, Emulator, Env};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{self, CANCEL_PAY, Money1, OPENID, PAY, PRESENT, Signing, prepared_v1, signed_target};

const STARTING_BALANCE: i64 = 100;
const ZONES: [&str; 2] = ["1", "2"];

/// The nine money endpoints.
const MONEY_APIS: [Api; 9] = [
    Api::Pay,
    Api::CancelPay,
    Api::Present,
    Api::V2Pay,
    Api::V2CancelPay,
    Api::V2Present,
    Api::CurrencyPay,
    Api::CancelCurrencyPay,
    Api::PresentCurrency,
];

/// An amount as it appears in the body: an integer, or raw JSON that is not one (`i64`).
#[derive(Clone, Debug)]
enum Amount {
    Integer(i64),
    Raw(&'static str),
}

impl Amount {
    fn json(&self) -> String {
        match self {
            Self::Integer(amount) => amount.to_string(),
            Self::Raw(raw) => (*raw).to_owned(),
        }
    }
}

/// What is done to the bytes after signing.
#[derive(Clone, Debug)]
enum Mangle {
    None,
    Truncate(usize),
    Garbage(Vec<u8>),
    NotAnObject,
}

#[derive(Clone, Debug)]
struct Call {
    api: Api,
    env: Env,
    zone_id: &'static str,
    bill_no: usize,
    pay_bill_no: usize,
    amount: Amount,
    mangle: Mangle,
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        2 => prop_oneof![
            Just(i64::MAX),
            Just(i64::MAX - 1),
            Just(i64::MAX - STARTING_BALANCE),
            Just(i64::MIN),
            Just(0),
            Just(-1),
            Just(1),
        ]
        .prop_map(Amount::Integer),
        6 => (1..=60_i64).prop_map(Amount::Integer),
        1 => any::<i64>().prop_map(Amount::Integer),
        2 => (i64::MAX / 2..=i64::MAX).prop_map(Amount::Integer),
        1 => prop_oneof![
            Just("9223372036854775808"),
            Just("18446744073709551615"),
            Just("-9223372036854775809"),
            Just("1e3"),
            Just("1.5"),
            Just("-0"),
            Just("\"12\""),
            Just("null"),
            Just("[1]"),
        ]
        .prop_map(Amount::Raw),
    ]
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        8 => Just(Mangle::None),
        1 => (0..200_usize).prop_map(Mangle::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Mangle::Garbage),
        1 => Just(Mangle::NotAnObject),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    (
        proptest::sample::select(MONEY_APIS.to_vec()),
        prop_oneof![3 => Just(Env::Sandbox), 1 => Just(Env::Production)],
        prop_oneof![3 => Just(ZONES[0]), 1 => Just(ZONES[1])],
        0..4_usize,
        0..4_usize,
        amount(),
        mangle(),
    )
        .prop_map(|(api, env, zone_id, bill_no, pay_bill_no, amount, mangle)| Call {
            api,
            env,
            zone_id,
            bill_no,
            pay_bill_no,
            amount,
            mangle,
        })
}

/// The target and the bytes of `call`, signed as a real client would sign them.
fn request(emulator: &Emulator, call: &Call) -> (String, Vec<u8>) {
    // Refund orders mostly get numbers of their own, so that they can be booked; `b3` is
    // shared by every kind of order.
    let refund = matches!(call.api, Api::V2CancelPay | Api::CancelCurrencyPay) && call.bill_no != 3;
    let bill_no = format!("{}{}", if refund { "r" } else { "b" }, call.bill_no);
    let pay_bill_no = format!("b{}", call.pay_bill_no);
    let amount = call.amount.json();
    let (target, bytes) = match call.api.generation() {
        midas_emulator::Generation::V1 => {
            let integer = match call.amount {
                Amount::Integer(amount) => amount,
                // Midas 1.0 bodies are written by the signer: raw JSON goes in below.
                Amount::Raw(_) => 0,
            };
            let (target, mut bytes) = match call.api {
                Api::Pay => {
                    prepared_v1(emulator, call.env, call.zone_id, &Money1::<PAY> { bill_no, amount: integer })
                }
                Api::CancelPay => prepared_v1(
                    emulator,
                    call.env,
                    call.zone_id,
                    &Money1::<CANCEL_PAY> { bill_no: pay_bill_no, amount: 0 },
                ),
                _ => prepared_v1(
                    emulator,
                    call.env,
                    call.zone_id,
                    &Money1::<PRESENT> { bill_no, amount: integer },
                ),
            };
            if let Amount::Raw(raw) = call.amount {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let text = text.replace("\"amt\":0", &format!("\"amt\":{raw}"));
                bytes =
                    text.replace("\"present_counts\":0", &format!("\"present_counts\":{raw}")).into_bytes();
            }
            (target, bytes)
        }
        _ => {
            let env = if call.env == Env::Sandbox { 1 } else { 0 };
            let common = |api: Api| match api.generation() {
                midas_emulator::Generation::V2 => format!(
                    r#""openid":"{OPENID}","offer_id":"{}","ts":1700000000,"zone_id":"{}","env":{env}"#,
                    emulator.offer_id(),
                    call.zone_id
                ),
                _ => format!(r#""openid":"{OPENID}","env":{env},"user_ip":"127.0.0.1""#),
            };
            let own = match call.api {
                Api::V2Pay | Api::V2Present => format!(r#""amount":{amount},"bill_no":"{bill_no}""#),
                Api::V2CancelPay => {
                    format!(r#""pay_bill_no":"{pay_bill_no}","bill_no":"{bill_no}","amount":{amount}"#)
                }
                Api::CurrencyPay | Api::PresentCurrency => {
                    format!(r#""amount":{amount},"order_id":"{bill_no}""#)
                }
                _ => format!(r#""pay_order_id":"{pay_bill_no}","order_id":"{bill_no}","amount":{amount}"#),
            };
            let bytes = format!("{{{},{own}}}", common(call.api)).into_bytes();
            let signing = Signing {
                session_key: (call.api != Api::PresentCurrency).then_some(support::SESSION_KEY),
                ..Signing::default()
            };
            (signed_target(emulator, call.api, call.env, &bytes, &signing), bytes)
        }
    };
    let bytes = match &call.mangle {
        Mangle::None => bytes,
        Mangle::Truncate(keep) => bytes[..(*keep).min(bytes.len())].to_vec(),
        Mangle::Garbage(garbage) => garbage.clone(),
        Mangle::NotAnObject => json!([json!(String::from_utf8_lossy(&bytes))]).to_string().into_bytes(),
    };
    (target, bytes)
}

/// Sends one request; the status and the JSON body, or what went wrong.
async fn send(emulator: &Emulator, target: &str, body: &[u8]) -> Result<(u16, Value), String> {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.map_err(|error| error.to_string())?;
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.map_err(|error| error.to_string())?;
    stream.write_all(body).await.map_err(|error| error.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(|error| format!("no answer: {error}"))?;
    let text = String::from_utf8(answer).map_err(|_| "not UTF-8".to_owned())?;
    let status =
        text.get(9..12).and_then(|code| code.parse().ok()).ok_or_else(|| format!("no status: {text:?}"))?;
    let (_, body) = text.split_once("\r\n\r\n").ok_or("no end of head")?;
    let value = serde_json::from_str(body).map_err(|_| format!("not JSON: {body:?}"))?;
    Ok((status, value))
}

/// What one change adds to its wallet's balance.
fn delta(change: &Change) -> i128 {
    match change {
        Change::Present { present_counts } => i128::from(*present_counts),
        Change::Pay { amt, .. } => -i128::from(*amt),
        Change::CancelPay { amt, .. } => i128::from(*amt),
        Change::Refund { amount, .. } => i128::from(*amount),
        _ => 0,
    }
}

/// The books after the calls: every wallet keeps `balance == save_amt + present_sum -
/// cost_sum` with its gifted coins within its balance; the effects, replayed from the starting
/// coins, give every `balance_after` and every final balance; no order was applied twice.
fn check_books(emulator: &Emulator) -> Result<(), TestCaseError> {
    let mut running: HashMap<(Env, String), i128> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for effect in emulator.effects() {
        prop_assert!(
            seen.insert((effect.env, effect.change.api(), effect.bill_no.clone())),
            "twice: {effect:?}"
        );
        let start = if effect.zone_id == "1" { STARTING_BALANCE } else { 0 };
        let balance = running.entry((effect.env, effect.zone_id.clone())).or_insert(i128::from(start));
        *balance += delta(&effect.change);
        prop_assert_eq!(*balance, i128::from(effect.balance_after), "{:?}", effect);
    }
    for env in [Env::Production, Env::Sandbox] {
        for zone_id in ZONES {
            let wallet = emulator.balance_in_zone(env, OPENID, zone_id);
            let b = wallet.ok_or_else(|| TestCaseError::fail("the player is registered"))?;
            let [balance, gen_balance, save_amt, save_sum, cost_sum, present_sum] =
                [b.balance, b.gen_balance, b.save_amt, b.save_sum, b.cost_sum, b.present_sum].map(i128::from);
            prop_assert_eq!(balance, save_amt + present_sum - cost_sum, "{} {}: {:?}", env, zone_id, b);
            prop_assert_eq!(save_sum, save_amt + present_sum, "{} {}: {:?}", env, zone_id, b);
            prop_assert!(
                (0..=balance).contains(&gen_balance) && cost_sum >= 0,
                "{} {}: {:?}",
                env,
                zone_id,
                b
            );
            let start = if zone_id == "1" { STARTING_BALANCE } else { 0 };
            let replayed = running.get(&(env, zone_id.to_owned())).copied().unwrap_or(i128::from(start));
            prop_assert_eq!(balance, replayed, "{} {}: the effects add up to the balance", env, zone_id);
        }
    }
    Ok(())
}

async fn run(calls: Vec<Call>) -> Result<(), TestCaseError> {
    let emulator = support::started(STARTING_BALANCE).await;
    for call in &calls {
        let (target, bytes) = request(&emulator, call);
        let answered = send(&emulator, &target, &bytes).await;
        let (status, answer) =
            answered.map_err(|problem| TestCaseError::fail(format!("{call:?}: {problem}")))?;
        prop_assert_eq!(status, 200, "{:?}: {}", call, answer);
        prop_assert!(answer["errcode"].is_i64(), "{:?}: {}", call, answer);
        let accepted_amount = match call.amount {
            Amount::Integer(amount) if answer["errcode"] == 0 && call.api != Api::CancelPay => Some(amount),
            _ => None,
        };
        prop_assert!(accepted_amount.is_none_or(|amount| amount > 0), "{:?} accepted: {}", call, answer);
    }
    // The server is still there and still answers.
    let (_, answer) =
        send(&emulator, "/cgi-bin/midas/getbalance", b"{}").await.map_err(TestCaseError::fail)?;
    prop_assert_eq!(&answer["errcode"], 40001);
    check_books(&emulator)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn money_endpoints_answer_json_and_keep_the_books_whatever_they_are_sent(
        calls in proptest::collection::vec(call(), 1..24)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        runtime.block_on(run(calls))?;
    }
}

/// The sequence that overflowed the old books, written out: fill zone 1 to the limit, then
/// gift once more in every generation.
#[tokio::test]
async fn a_present_at_the_limit_answers_a_parameter_error_and_keeps_the_books() {
    let emulator = support::started(STARTING_BALANCE).await;
    let gift = |api, bill: usize, amount| Call {
        api,
        env: Env::Sandbox,
        zone_id: "1",
        bill_no: bill,
        pay_bill_no: 0,
        amount: Amount::Integer(amount),
        mangle: Mangle::None,
    };
    for (call, errcode) in [
        (gift(Api::Present, 0, i64::MAX - STARTING_BALANCE), 0),
        (gift(Api::Present, 1, 1), 90018),
        (gift(Api::V2Present, 2, i64::MAX), 90018),
        (gift(Api::PresentCurrency, 3, 1), 268_490_002),
    ] {
        let (target, bytes) = request(&emulator, &call);
        let (_, answer) =
            send(&emulator, &target, &bytes).await.unwrap_or_else(|problem| panic!("{problem}"));
        assert_eq!(answer["errcode"], errcode, "{call:?}: {answer}");
    }
    assert_eq!(emulator.balance(Env::Sandbox, OPENID).map(|b| b.balance), Some(i64::MAX));
    check_books(&emulator).unwrap_or_else(|error| panic!("{error}"));
}
