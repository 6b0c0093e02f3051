//! Midas 1.0, `/cgi-bin/midas/[sandbox/]*`: what it checks on a received request, in its order:
//! parameters (90018), `sig` (90011), player (90010), `mp_sig` (90009); and how it words the
//! ledger's outcomes. The path names the environment. The signatures are checked with
//! midas-core's verifier, the same code path as the client's signer; nothing here computes a
//! signature.

use midas_core::verify::{ReceivedParams, VerifyError};
use midas_core::{AppKey, Env, SessionKey};
use serde_json::{Value, json};

use super::body::{Body, FieldSpec, Kind, Wording};
use super::interface::{Context, Protocol, Received};
use crate::answer::{Fields, Rejection, fields};
use crate::api::Api;
use crate::ledger::{Applied, Done, Entry, Op, Refusal};

/// Midas 1.0.
#[derive(Clone, Copy, Debug)]
pub(crate) struct V1;

const WORDING: Wording = Wording::V1;

const COMMON: [FieldSpec; 9] = [
    ("appid", Kind::Text, true),
    ("offer_id", Kind::Text, true),
    ("openid", Kind::Text, true),
    ("pf", Kind::Text, true),
    ("ts", Kind::Integer, true),
    ("zone_id", Kind::Text, true),
    ("user_ip", Kind::Text, false),
    ("sig", Kind::Text, true),
    ("mp_sig", Kind::Text, false),
];

fn own_fields(api: Api) -> &'static [FieldSpec] {
    match api {
        Api::Pay => &[
            ("amt", Kind::Integer, true),
            ("bill_no", Kind::Text, true),
            ("pay_item", Kind::Text, false),
            ("app_remark", Kind::Text, false),
        ],
        Api::CancelPay => &[("bill_no", Kind::Text, true), ("pay_item", Kind::Text, false)],
        Api::Present => &[("bill_no", Kind::Text, true), ("present_counts", Kind::Integer, true)],
        _ => &[],
    }
}

/// A request whose parameters passed; its signatures are checked next.
#[derive(Debug)]
pub(crate) struct Call {
    api: Api,
    env: Env,
    openid: String,
    /// The wallet's zone.
    zone_id: String,
    op: Op,
    /// Every signed field but `ts`: two attempts of one request carry the same fingerprint.
    fingerprint: Vec<(String, String)>,
    params: ReceivedParams,
    sig: String,
    mp_sig: Option<String>,
}

/// Checks the body of a call to `api` in `env` for the app `appid`/`offer_id`.
pub(crate) fn parse(
    api: Api,
    env: Env,
    bytes: &[u8],
    appid: &str,
    offer_id: &str,
) -> Result<Call, Rejection> {
    let specs: Vec<FieldSpec> = COMMON.iter().chain(own_fields(api)).copied().collect();
    let body = Body::parse(bytes, &specs, WORDING)?;
    body.expect_text("appid", appid, "does not match the app")?;
    body.expect_text("offer_id", offer_id, "does not match the app's offer_id")?;
    body.check_ts()?;
    let op = op(api, &body)?;
    let params = ReceivedParams::from_json(body.object()).map_err(|error| match error {
        VerifyError::Unsignable(name) => body.invalid(&name, "must be a string or an integer"),
        other => Rejection::new(WORDING.errcode(), format!("invalid parameter: {other}")),
    })?;
    let text = |name| body.text(name).unwrap_or_default().to_owned();
    Ok(Call {
        api,
        env,
        openid: text("openid"),
        zone_id: text("zone_id"),
        op,
        fingerprint: body.fingerprint(),
        params,
        sig: text("sig"),
        mp_sig: body.text("mp_sig").map(str::to_owned),
    })
}

fn op(api: Api, body: &Body) -> Result<Op, Rejection> {
    let bill_no = || body.order_no("bill_no", true);
    let amount = |name: &str| match body.integer(name).unwrap_or_default() {
        0 => Err(body.invalid(name, "must not be zero")),
        amount if amount < 0 => Err(body.invalid(name, "must be greater than zero")),
        amount => Ok(amount),
    };
    let optional = |name| body.text(name).map(str::to_owned);
    Ok(match api {
        Api::Pay => Op::Pay { bill_no: bill_no()?, amount: amount("amt")?, payitem: optional("pay_item") },
        Api::CancelPay => Op::CancelRest { pay_bill_no: bill_no()? },
        Api::Present => Op::Present { bill_no: bill_no()?, amount: amount("present_counts")? },
        _ => Op::Balance,
    })
}

impl Call {
    /// 90011 unless `sig` was made with `app_key` over the received fields and the called path.
    fn verify_sig(&self, app_key: &AppKey) -> Result<(), Rejection> {
        self.params
            .verify_sig(self.api.path(self.env), app_key, &self.sig)
            .map_err(|_| Rejection::new(90011, "sig error"))
    }

    /// 90009 unless a sent `mp_sig` was made with `session_key`; nothing to check when none
    /// was sent.
    fn verify_mp_sig(&self, access_token: &str, session_key: &SessionKey) -> Result<(), Rejection> {
        let Some(mp_sig) = &self.mp_sig else { return Ok(()) };
        self.params
            .verify_mp_sig(self.api.path(self.env), access_token, &self.sig, session_key, mp_sig)
            .map_err(|_| Rejection::new(90009, "mp_sig error"))
    }

    fn into_entry(self) -> Entry {
        Entry {
            api: self.api,
            env: self.env,
            openid: Some(self.openid),
            zone_id: self.zone_id,
            op: self.op,
            fingerprint: self.fingerprint,
        }
    }
}

impl Protocol for V1 {
    fn parameter_errcode(&self) -> i64 {
        WORDING.errcode()
    }

    /// Every check of a call, in Midas 1.0's order, in the environment its path names.
    fn check(&self, request: &Received<'_>, context: &Context<'_>) -> Result<Entry, Rejection> {
        // Only ever routed here with its environment.
        let Some((api, env)) = Api::route(request.path) else { return Err(Rejection::busy()) };
        let app = context.app;
        let call = parse(api, env, request.body, &app.appid, &app.offer_id)?;
        call.verify_sig(app.app_keys.get(env))?;
        let Some(session_key) = context.sessions.current(&call.openid) else {
            return Err(self.refusal(Refusal::UnknownPlayer));
        };
        call.verify_mp_sig(request.access_token, session_key)?;
        Ok(call.into_entry())
    }

    /// A `present` whose `bill_no` was booked already is 90012 even when it repeats the first
    /// call; a repeated `pay` answers the first result.
    fn answer(&self, applied: Applied) -> Result<Fields, Rejection> {
        match applied.done {
            Done::Balance(balance) => match serde_json::to_value(balance) {
                Ok(Value::Object(fields)) => Ok(fields),
                _ => Err(Rejection::busy()),
            },
            Done::Present { .. } if applied.replayed => Err(self.refusal(Refusal::BillNoTaken)),
            Done::Present { bill_no, balance, .. } => {
                Ok(fields([("balance", json!(balance)), ("bill_no", json!(bill_no))]))
            }
            Done::Pay { bill_no, balance, used_gen_amt } => Ok(fields([
                ("bill_no", json!(bill_no)),
                ("balance", json!(balance)),
                ("used_gen_amt", json!(used_gen_amt)),
            ])),
            Done::Refund { bill_no, .. } => Ok(fields([("bill_no", json!(bill_no))])),
            // No Midas 1.0 API asks the books for these.
            Done::Order(_) | Done::Delivered | Done::CashOrder(_) | Done::RefundStarted(_) => {
                Err(Rejection::busy())
            }
        }
    }

    fn refusal(&self, refusal: Refusal) -> Rejection {
        match refusal {
            Refusal::UnknownPlayer => Rejection::new(90010, "user not logged in or login expired"),
            Refusal::BillNoTaken => Rejection::new(90012, "order already exists"),
            Refusal::NotEnough => Rejection::new(90013, "balance not enough"),
            // xpay's refund tasks are not reached from Midas 1.0.
            Refusal::UnknownPay
            | Refusal::UnknownOrder
            | Refusal::RefundRunning
            | Refusal::LeftFeeMismatch => Rejection::new(90000, "order not exist"),
            Refusal::FullyRefunded | Refusal::AlreadyRefunded | Refusal::RefundTooLarge { .. } => {
                Rejection::new(90015, "order already rolled back")
            }
            Refusal::Overflow => Rejection::new(
                90018,
                "invalid parameter: the amount would take the wallet past 9223372036854775807 coins",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(api: Api, changes: &[(&str, Value)], removed: &[&str]) -> Vec<u8> {
        let mut object = json!({
            "appid": "wx1234567", "offer_id": "12345678", "openid": "player-1", "pf": "android",
            "ts": 1_507_530_737, "zone_id": "1", "sig": "00",
        });
        if let Value::Object(map) = &mut object {
            match api {
                Api::Pay => {
                    map.insert("amt".into(), json!(10));
                    map.insert("bill_no".into(), json!("BillNo_123"));
                }
                Api::CancelPay => {
                    map.insert("bill_no".into(), json!("BillNo_123"));
                }
                Api::Present => {
                    map.insert("bill_no".into(), json!("BillNo_123"));
                    map.insert("present_counts".into(), json!(5));
                }
                _ => {}
            }
            for (name, value) in changes {
                map.insert((*name).to_owned(), value.clone());
            }
            for name in removed {
                map.remove(*name);
            }
        }
        object.to_string().into_bytes()
    }

    fn refusal(api: Api, changes: &[(&str, Value)], removed: &[&str]) -> Rejection {
        match parse(api, Env::Sandbox, &body(api, changes, removed), "wx1234567", "12345678") {
            Ok(call) => panic!("accepted {call:?}"),
            Err(rejection) => rejection,
        }
    }

    fn assert_refused(api: Api, changes: &[(&str, Value)], removed: &[&str], field: &str) {
        let rejection = refusal(api, changes, removed);
        assert_eq!(rejection.errcode, 90018, "{rejection:?}");
        assert!(rejection.errmsg.contains(&format!("`{field}`")), "{rejection:?} should name {field}");
    }

    #[test]
    fn a_well_formed_request_of_each_api_passes() {
        for api in Api::V1 {
            let call = parse(api, Env::Production, &body(api, &[], &[]), "wx1234567", "12345678");
            assert!(call.is_ok(), "{api}: {call:?}");
        }
    }

    #[test]
    fn bill_no_outside_the_charset_or_length_is_refused() {
        for bad in ["", "bill no", "bill/no", "账单", &"a".repeat(64)] {
            assert_refused(Api::Pay, &[("bill_no", json!(bad))], &[], "bill_no");
        }
        let longest = "a".repeat(63);
        assert!(
            parse(
                Api::Pay,
                Env::Sandbox,
                &body(Api::Pay, &[("bill_no", json!(longest))], &[]),
                "wx1234567",
                "12345678"
            )
            .is_ok()
        );
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        assert_refused(Api::Pay, &[("amt", json!(0))], &[], "amt");
        assert_refused(Api::Pay, &[("amt", json!(-3))], &[], "amt");
        assert_refused(Api::Present, &[("present_counts", json!(0))], &[], "present_counts");
    }

    #[test]
    fn wrong_json_types_are_refused() {
        assert_refused(Api::Pay, &[("amt", json!("10"))], &[], "amt");
        assert_refused(Api::Pay, &[("amt", json!(10.5))], &[], "amt");
        assert_refused(Api::GetBalance, &[("zone_id", json!(1))], &[], "zone_id");
        assert_refused(Api::GetBalance, &[("ts", json!("1507530737"))], &[], "ts");
        assert_refused(Api::GetBalance, &[("user_ip", json!(null))], &[], "user_ip");
    }

    #[test]
    fn missing_unknown_and_misplaced_fields_are_refused() {
        assert_refused(Api::Present, &[], &["present_counts"], "present_counts");
        assert_refused(Api::GetBalance, &[], &["sig"], "sig");
        assert_refused(Api::GetBalance, &[("amt", json!(1))], &[], "amt");
        let rejection = refusal(Api::GetBalance, &[("access_token", json!("TOKEN"))], &[]);
        assert!(rejection.errmsg.contains("query string"), "{rejection:?}");
    }

    #[test]
    fn another_apps_ids_are_refused() {
        assert_refused(Api::GetBalance, &[("appid", json!("wx7654321"))], &[], "appid");
        assert_refused(Api::GetBalance, &[("offer_id", json!("87654321"))], &[], "offer_id");
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused() {
        for body in [&b"not json"[..], b"[1,2]", b"\"text\""] {
            let refused = parse(Api::GetBalance, Env::Sandbox, body, "wx1234567", "12345678");
            assert_eq!(refused.map(|_| ()).map_err(|r| r.errcode), Err(90018));
        }
    }

    #[test]
    fn retries_share_a_fingerprint_whatever_their_ts() {
        let first = parse(Api::Pay, Env::Sandbox, &body(Api::Pay, &[], &[]), "wx1234567", "12345678");
        let again = parse(
            Api::Pay,
            Env::Sandbox,
            &body(Api::Pay, &[("ts", json!(1_507_530_799))], &[]),
            "wx1234567",
            "12345678",
        );
        let other = parse(
            Api::Pay,
            Env::Sandbox,
            &body(Api::Pay, &[("amt", json!(11))], &[]),
            "wx1234567",
            "12345678",
        );
        let (first, again, other) =
            (first.map(|c| c.fingerprint), again.map(|c| c.fingerprint), other.map(|c| c.fingerprint));
        assert_eq!(first, again);
        assert_ne!(first, other);
    }
}
