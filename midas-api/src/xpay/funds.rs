//! Merchant funds: the balance that can be withdrawn, withdrawals and their state.
//!
//! Amounts travel as decimal strings in yuan (`"0.01"` is one fen). Here they are counted in
//! fen ([`Yuan`], [`WithdrawAmount`]) and written or read exactly, never through a float.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Rule, ValidationError, midas_api};

/// An amount of money in yuan, held as a whole number of fen: written `"12.34"`, read from
/// `"12.34"`, `"12.3"`, `"12"` or a JSON number with at most two decimals.
///
/// ```
/// use midas_api::xpay::Yuan;
/// let amount: Yuan = "12.3".parse()?;
/// assert_eq!((amount.fen(), amount.to_string()), (1230, "12.30".to_owned()));
/// assert!("0.001".parse::<Yuan>().is_err(), "fen are the smallest unit");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yuan {
    fen: u64,
}

impl Yuan {
    /// `fen` fen.
    pub const fn from_fen(fen: u64) -> Self {
        Self { fen }
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.fen
    }

    fn parse_field(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let refuse = || {
            ValidationError::new(field, Rule::Format("yuan: digits with at most two decimals, e.g. 12.34"))
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
            return Err(refuse());
        }
        if text.contains('.') && fraction.is_empty() {
            return Err(refuse());
        }
        let whole: u64 = whole.parse().map_err(|_| refuse())?;
        let cents = match fraction.len() {
            0 => 0,
            1 => u64::from(fraction.as_bytes()[0] - b'0') * 10,
            _ => fraction.parse::<u64>().map_err(|_| refuse())?,
        };
        whole.checked_mul(100).and_then(|fen| fen.checked_add(cents)).map(Self::from_fen).ok_or_else(refuse)
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.fen / 100, self.fen % 100)
    }
}

impl FromStr for Yuan {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_field("amount", text)
    }
}

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Text(String),
            Number(serde_json::Number),
        }
        let text = match Text::deserialize(deserializer)? {
            Text::Text(text) => text,
            Text::Number(number) => number.to_string(),
        };
        Self::parse_field("amount", text.trim()).map_err(serde::de::Error::custom)
    }
}

/// The amount of a withdrawal: more than zero, in fen, sent in yuan.
///
/// ```
/// use midas_api::xpay::WithdrawAmount;
/// let amount = WithdrawAmount::from_fen(1)?;
/// assert_eq!(amount.yuan().to_string(), "0.01");
/// assert!(WithdrawAmount::from_fen(0).is_err());
/// assert_eq!(WithdrawAmount::parse("25.5")?.yuan().fen(), 2550);
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct WithdrawAmount(Yuan);

impl WithdrawAmount {
    /// `fen` fen; zero is refused.
    pub fn from_fen(fen: u64) -> Result<Self, ValidationError> {
        if fen == 0 {
            return Err(ValidationError::new("withdraw_amount", Rule::Positive));
        }
        Ok(Self(Yuan::from_fen(fen)))
    }

    /// A decimal text in yuan (`"25.50"`); more than zero, at most two decimals.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Self::from_fen(Yuan::parse_field("withdraw_amount", text)?.fen())
    }

    /// The amount.
    pub const fn yuan(self) -> Yuan {
        self.0
    }
}

/// A withdrawal's own number: 8 to 32 characters of `[0-9A-Za-z_-]`, checked when it is made.
///
/// ```
/// use midas_api::{Rule, xpay::WithdrawNo};
/// assert_eq!(WithdrawNo::new("wd-20240801")?.as_str(), "wd-20240801");
/// assert_eq!(WithdrawNo::new("short").unwrap_err().rule(), &Rule::Range { min: 8, max: 32 });
/// assert_eq!(WithdrawNo::new("withdraw 0001").unwrap_err().rule(), &Rule::BillNo);
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct WithdrawNo(String);

impl WithdrawNo {
    /// `value`, if it has 8 to 32 characters of `[0-9A-Za-z_-]`.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(ValidationError::new("withdraw_no", Rule::BillNo));
        }
        if !(8..=32).contains(&value.len()) {
            return Err(ValidationError::new("withdraw_no", Rule::Range { min: 8, max: 32 }));
        }
        Ok(Self(value))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `query_biz_balance`: the merchant's balance that can be withdrawn. Its body carries no
/// openid. Its page could not be found: fields as the platform's guide and the public SDKs
/// name them.
///
/// ```
/// use midas_api::xpay;
/// let answer: xpay::BizBalanceResponse = serde_json::from_str(
///     r#"{"errcode":0,"errmsg":"ok","balance_available":{"amount":"1024.50","currency_code":"CNY"}}"#,
/// )?;
/// assert_eq!(answer.balance_available.amount.fen(), 102_450);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_biz_balance", response = BizBalanceResponse, openid = false)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryBizBalance {}

/// The answer to [`QueryBizBalance`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BizBalanceResponse {
    /// The balance that can be withdrawn.
    pub balance_available: BizBalance,
}

/// An amount of the merchant's account and its currency.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BizBalance {
    /// The amount.
    pub amount: Yuan,
    /// The currency, e.g. `CNY`.
    #[serde(default)]
    pub currency_code: String,
}

/// `create_withdraw_order`: withdraw `withdraw_amount`, or the whole balance when it is
/// `None`. The same `withdraw_no` again answers the first withdrawal; with another amount it is
/// refused.
///
/// ```
/// use midas_api::xpay::{CreateWithdrawOrder, WithdrawAmount, WithdrawNo};
/// let withdraw = CreateWithdrawOrder {
///     withdraw_no: WithdrawNo::new("withdraw-0001")?,
///     withdraw_amount: Some(WithdrawAmount::parse("100.00")?),
/// };
/// assert_eq!(withdraw.withdraw_amount.map(|amount| amount.yuan().fen()), Some(10_000));
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/create_withdraw_order", response = CreateWithdrawOrderResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateWithdrawOrder {
    /// The withdrawal's own number.
    #[midas(json)]
    pub withdraw_no: WithdrawNo,
    /// How much; `None` withdraws the whole balance.
    #[midas(json)]
    pub withdraw_amount: Option<WithdrawAmount>,
}

/// The answer to [`CreateWithdrawOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreateWithdrawOrderResponse {
    /// The withdrawal's number.
    pub withdraw_no: String,
    /// WeChat's number of the withdrawal.
    #[serde(default)]
    pub wx_withdraw_no: String,
}

/// `query_withdraw_order`: a withdrawal's state. Its page could not be found: fields as the
/// public SDKs read them (`fail_reason` also as `failReason`, numbers also as text).
///
/// ```
/// use midas_api::xpay::{QueryWithdrawOrder, WithdrawNo, WithdrawResponse, WithdrawStatus};
/// let query = QueryWithdrawOrder { withdraw_no: WithdrawNo::new("withdraw-0001")? };
/// let answer: WithdrawResponse = serde_json::from_str(r#"{"errcode":0,"errmsg":"ok",
///     "withdraw_no":"withdraw-0001","status":2,"withdraw_amount":"100.00",
///     "wx_withdraw_no":"100087","withdraw_success_timestamp":"1699999999",
///     "create_time":"2023-11-15 05:46:39","fail_reason":""}"#)?;
/// assert_eq!((answer.status(), answer.withdraw_amount.fen()), (WithdrawStatus::Succeeded, 10_000));
/// assert_eq!(answer.withdraw_success_timestamp, Some(1_699_999_999));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_withdraw_order", response = WithdrawResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryWithdrawOrder {
    /// The withdrawal's number.
    #[midas(json)]
    pub withdraw_no: WithdrawNo,
}

/// The answer to [`QueryWithdrawOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WithdrawResponse {
    /// The withdrawal's number.
    pub withdraw_no: String,
    /// 1 in progress, 2 succeeded, 3 failed ([`Self::status`] reads it).
    #[serde(deserialize_with = "integer")]
    pub status: i64,
    /// The amount withdrawn.
    pub withdraw_amount: Yuan,
    /// WeChat's number of the withdrawal.
    #[serde(default)]
    pub wx_withdraw_no: String,
    /// When it succeeded, in Unix seconds.
    #[serde(default, deserialize_with = "optional_integer")]
    pub withdraw_success_timestamp: Option<i64>,
    /// When it was created, as the server writes it.
    #[serde(default)]
    pub create_time: String,
    /// Why it failed.
    #[serde(default, alias = "failReason")]
    pub fail_reason: String,
}

impl WithdrawResponse {
    /// The state of the withdrawal.
    pub fn status(&self) -> WithdrawStatus {
        match self.status {
            1 => WithdrawStatus::InProgress,
            2 => WithdrawStatus::Succeeded,
            3 => WithdrawStatus::Failed,
            other => WithdrawStatus::Other(other),
        }
    }
}

/// The state of a withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WithdrawStatus {
    /// 1: created, money on its way.
    InProgress,
    /// 2: paid out.
    Succeeded,
    /// 3: failed; see `fail_reason`.
    Failed,
    /// A value the docs do not list.
    Other(i64),
}

/// An integer sent as a number or as decimal text.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    optional_integer(deserializer)?.ok_or_else(|| serde::de::Error::custom("expected an integer"))
}

/// An integer sent as a number, as decimal text, as `""` or `null` (absent).
fn optional_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Integer {
        Number(i64),
        Text(String),
    }
    match Option::<Integer>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Integer::Number(number)) => Ok(Some(number)),
        Some(Integer::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Integer::Text(text)) => text.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}
