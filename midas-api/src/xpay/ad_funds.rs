//! Ad funds: the accounts ad funds are transferred to, the funds WeChat granted, the transfers
//! (recharges) made from them, the funds recovered, and the orders behind a grant.
//!
//! Every body here carries no openid. `env` is only checked against `pay_sig`: the answers are
//! always about production. Amounts are in fen; times are unix seconds. Account errors are
//! 268490018–268490024 (industry mismatch, bound to another app, wrong entity name, onboarding
//! incomplete, invalid account, funds short, amount not above 0); a transfer whose `request_id`
//! was used before is 268490004, whatever its other fields.

use serde::{Deserialize, Serialize, Serializer};

use crate::{Rule, ValidationError, midas_api};

/// Why WeChat granted ad funds, as `fund_type` numbers it.
///
/// ```
/// use midas_api::xpay::FundType;
/// assert_eq!(FundType::from_code(1), Some(FundType::AdIncentive));
/// assert_eq!(FundType::TargetedIncentive.code(), 2);
/// assert_eq!(FundType::from_code(7), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FundType {
    /// 0: a general grant.
    General,
    /// 1: an ad-revenue incentive.
    AdIncentive,
    /// 2: a targeted incentive.
    TargetedIncentive,
}

impl FundType {
    /// The number on the wire.
    pub const fn code(self) -> i64 {
        match self {
            Self::General => 0,
            Self::AdIncentive => 1,
            Self::TargetedIncentive => 2,
        }
    }

    /// The type a wire number names, if any.
    pub const fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::General),
            1 => Some(Self::AdIncentive),
            2 => Some(Self::TargetedIncentive),
            _ => None,
        }
    }
}

impl Serialize for FundType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

/// `query_transfer_account`: the ad-fund accounts bound to the app, with their review state.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// assert_eq!(xpay::QueryTransferAccount::PATH, "/xpay/query_transfer_account");
/// assert!(xpay::QueryTransferAccount {}.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_transfer_account", response = QueryTransferAccountResponse, openid = false)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryTransferAccount {}

/// The answer to [`QueryTransferAccount`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryTransferAccountResponse {
    /// The bound accounts (none when the field is absent).
    #[serde(default)]
    pub acct_list: Vec<TransferAccount>,
}

/// An ad-fund account as `query_transfer_account` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TransferAccount {
    /// The account's name.
    #[serde(default)]
    pub transfer_account_name: String,
    /// The account's uid.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub transfer_account_uid: i64,
    /// The uid of the account's agency.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub transfer_account_agency_id: i64,
    /// The agency's name.
    #[serde(default)]
    pub transfer_account_agency_name: String,
    /// Review: 0 pending, 1 approved, 2 rejected.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub state: i64,
    /// Binding: 1 bound, 2 failed.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub bind_result: i64,
    /// Why the binding failed, when it did.
    #[serde(default)]
    pub error_msg: String,
}

/// `bind_transfer_accout` (the path is spelled so): bind an ad-fund account, named by its uid,
/// its entity (organisation) name, or both; the binding then waits for review. One of the two
/// is required, so it is built by [`Self::by_uid`] or [`Self::by_org_name`]:
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let bind = xpay::BindTransferAccount::by_uid(7_001)?.with_org_name("Example Games Ltd")?;
/// assert_eq!(xpay::BindTransferAccount::PATH, "/xpay/bind_transfer_accout");
/// assert!(bind.validate().is_ok());
/// let refused = xpay::BindTransferAccount::by_uid(0).expect_err("a uid is above 0");
/// assert_eq!(refused.rule(), &Rule::Positive);
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/bind_transfer_accout", response = BindTransferAccountResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindTransferAccount {
    #[midas(positive)]
    transfer_account_uid: Option<i64>,
    transfer_account_org_name: Option<String>,
}

impl BindTransferAccount {
    /// The account with uid `uid` (above 0).
    pub fn by_uid(uid: i64) -> Result<Self, ValidationError> {
        midas_core::rules::positive("transfer_account_uid", &uid)?;
        Ok(Self { transfer_account_uid: Some(uid), transfer_account_org_name: None })
    }

    /// The account of the entity `org_name` (not empty, no control characters).
    pub fn by_org_name(org_name: impl Into<String>) -> Result<Self, ValidationError> {
        let org_name = org_name.into();
        midas_core::rules::text("transfer_account_org_name", &org_name)?;
        Ok(Self { transfer_account_uid: None, transfer_account_org_name: Some(org_name) })
    }

    /// Names the entity too: Midas checks it against the account (268490020 when it differs).
    pub fn with_org_name(self, org_name: impl Into<String>) -> Result<Self, ValidationError> {
        let org_name = org_name.into();
        midas_core::rules::text("transfer_account_org_name", &org_name)?;
        Ok(Self { transfer_account_org_name: Some(org_name), ..self })
    }

    /// The uid, when given.
    pub fn uid(&self) -> Option<i64> {
        self.transfer_account_uid
    }

    /// The entity name, when given.
    pub fn org_name(&self) -> Option<&str> {
        self.transfer_account_org_name.as_deref()
    }
}

/// The (empty) answer to [`BindTransferAccount`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BindTransferAccountResponse {}

/// `query_adver_funds`: the ad funds granted to the app, a page at a time; every field is
/// optional.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let query = xpay::QueryAdverFunds {
///     page: Some(1),
///     page_size: Some(20),
///     filter: Some(xpay::AdverFundsFilter { fund_type: Some(xpay::FundType::AdIncentive), ..Default::default() }),
/// };
/// assert!(query.validate().is_ok());
/// assert!(xpay::QueryAdverFunds { page: Some(0), ..query }.validate().is_err(), "pages start at 1");
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_adver_funds", response = QueryAdverFundsResponse, openid = false)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryAdverFunds {
    /// The page, from 1.
    #[midas(positive)]
    pub page: Option<i64>,
    /// Records per page.
    #[midas(positive)]
    pub page_size: Option<i64>,
    /// Which grants.
    #[midas(json)]
    pub filter: Option<AdverFundsFilter>,
}

/// The filter of [`QueryAdverFunds`]; absent fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AdverFundsFilter {
    /// Settlement periods starting at or after this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_begin: Option<i64>,
    /// Settlement periods ending at or before this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_end: Option<i64>,
    /// Grants of this type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_type: Option<FundType>,
}

/// The answer to [`QueryAdverFunds`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryAdverFundsResponse {
    /// The grants of the page.
    #[serde(default)]
    pub adver_funds_list: Vec<AdverFunds>,
    /// How many pages the query has.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total_page: i64,
}

/// An ad-fund grant.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AdverFunds {
    /// The grant's id: transfers and downloads name it.
    #[serde(default)]
    pub fund_id: String,
    /// Start of the settlement period it was granted for.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_begin: i64,
    /// End of that period.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_end: i64,
    /// Granted, in fen.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total_amount: i64,
    /// Still available, in fen.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub remain_amount: i64,
    /// When it expires.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub expire_time: i64,
    /// Why it was granted: see [`FundType::from_code`].
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub fund_type: i64,
}

/// What a transfer of ad funds into an account is: the input of [`CreateFundsBill::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundsTransfer {
    /// Your id of this transfer (1 to 1024 characters): a second transfer with it is refused
    /// with 268490004, so a retry never transfers twice.
    pub request_id: String,
    /// Fen to transfer, above 0.
    pub transfer_amount: i64,
    /// The receiving account's uid.
    pub transfer_account_uid: i64,
    /// The receiving account's name.
    pub transfer_account_name: String,
    /// The receiving account's agency uid.
    pub transfer_account_agency_id: i64,
    /// The settlement period of the grant the funds come from: its start…
    pub settle_begin: i64,
    /// …and its end (after the start).
    pub settle_end: i64,
    /// The grant's type.
    pub fund_type: FundType,
    /// Whether the app shares its ad data.
    pub authorize_advertise: bool,
}

/// `create_funds_bill`: transfer ad funds of a grant into a bound account. Built from a
/// [`FundsTransfer`], whose rules are checked first. `request_id` is not an order id that
/// `query_order` knows, so the client does not look it up: a 268490004 after a retried
/// attempt means that attempt went through; read it back with [`QueryFundsBill`] by
/// `request_id`.
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let transfer = xpay::FundsTransfer {
///     request_id: "transfer-2026-11-0001".into(),
///     transfer_amount: 50_000,
///     transfer_account_uid: 7_001,
///     transfer_account_name: "Example Ads".into(),
///     transfer_account_agency_id: 9_001,
///     settle_begin: 1_761_955_200,
///     settle_end: 1_764_547_199,
///     fund_type: xpay::FundType::AdIncentive,
///     authorize_advertise: true,
/// };
/// let bill = xpay::CreateFundsBill::new(transfer.clone())?;
/// assert_eq!(bill.request_id(), "transfer-2026-11-0001");
/// assert!(bill.validate().is_ok());
/// let backwards = xpay::FundsTransfer { settle_end: transfer.settle_begin, ..transfer };
/// assert_eq!(xpay::CreateFundsBill::new(backwards).expect_err("an empty period").field(), "settle_end");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/create_funds_bill", response = CreateFundsBillResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateFundsBill {
    #[midas(positive)]
    transfer_amount: i64,
    #[midas(positive)]
    transfer_account_uid: i64,
    transfer_account_name: String,
    transfer_account_agency_id: i64,
    request_id: String,
    settle_begin: i64,
    settle_end: i64,
    authorize_advertise: i64,
    fund_type: i64,
}

impl CreateFundsBill {
    /// The transfer `transfer`, refused before anything is sent when a rule is broken: a
    /// `request_id` of 1 to 1024 characters, an amount and uid above 0, a name, a period whose
    /// end is after its start.
    pub fn new(transfer: FundsTransfer) -> Result<Self, ValidationError> {
        midas_core::rules::text("request_id", &transfer.request_id)?;
        if transfer.request_id.chars().count() > 1024 {
            return Err(ValidationError::new("request_id", Rule::Range { min: 1, max: 1024 }));
        }
        midas_core::rules::positive("transfer_amount", &transfer.transfer_amount)?;
        midas_core::rules::positive("transfer_account_uid", &transfer.transfer_account_uid)?;
        midas_core::rules::text("transfer_account_name", &transfer.transfer_account_name)?;
        if transfer.settle_begin < 0 {
            return Err(ValidationError::new(
                "settle_begin",
                Rule::Range { min: 0, max: i64::MAX.unsigned_abs() },
            ));
        }
        if transfer.settle_end <= transfer.settle_begin {
            let min = transfer.settle_begin.unsigned_abs().saturating_add(1);
            return Err(ValidationError::new(
                "settle_end",
                Rule::Range { min, max: i64::MAX.unsigned_abs() },
            ));
        }
        Ok(Self {
            transfer_amount: transfer.transfer_amount,
            transfer_account_uid: transfer.transfer_account_uid,
            transfer_account_name: transfer.transfer_account_name,
            transfer_account_agency_id: transfer.transfer_account_agency_id,
            request_id: transfer.request_id,
            settle_begin: transfer.settle_begin,
            settle_end: transfer.settle_end,
            authorize_advertise: i64::from(transfer.authorize_advertise),
            fund_type: transfer.fund_type.code(),
        })
    }

    /// The transfer's `request_id`.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Fen transferred.
    pub fn transfer_amount(&self) -> i64 {
        self.transfer_amount
    }
}

/// The answer to [`CreateFundsBill`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreateFundsBillResponse {
    /// The transfer's bill id.
    pub bill_id: String,
}

/// `query_funds_bill`: the transfers made in a time window, a page at a time.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let query = xpay::QueryFundsBill {
///     page: 1,
///     page_size: 10,
///     filter: xpay::FundsBillFilter { oper_time_begin: 1_761_955_200, oper_time_end: 1_764_547_199, bill_id: None, request_id: Some("transfer-2026-11-0001".into()) },
/// };
/// assert!(query.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_funds_bill", response = QueryFundsBillResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryFundsBill {
    /// The page, from 1.
    #[midas(positive)]
    pub page: i64,
    /// Records per page.
    #[midas(positive)]
    pub page_size: i64,
    /// Which transfers.
    #[midas(json)]
    pub filter: FundsBillFilter,
}

/// The filter of [`QueryFundsBill`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FundsBillFilter {
    /// Transfers made at or after this time.
    pub oper_time_begin: i64,
    /// Transfers made at or before this time.
    pub oper_time_end: i64,
    /// Only this bill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_id: Option<String>,
    /// Only the transfer with this `request_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The answer to [`QueryFundsBill`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryFundsBillResponse {
    /// The transfers of the page.
    #[serde(default)]
    pub bill_list: Vec<FundsBill>,
    /// How many pages the query has.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total_page: i64,
}

/// A transfer of ad funds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FundsBill {
    /// The bill id.
    #[serde(default)]
    pub bill_id: String,
    /// When it was made.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub oper_time: i64,
    /// Start of the grant's settlement period.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_begin: i64,
    /// End of that period.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_end: i64,
    /// The grant the funds came from.
    #[serde(default)]
    pub fund_id: String,
    /// The receiving account's name.
    #[serde(default)]
    pub transfer_account_name: String,
    /// The receiving account's uid.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub transfer_account_uid: i64,
    /// Fen transferred.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub transfer_amount: i64,
    /// 0 in progress, 1 done, 2 failed.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub status: i64,
    /// The `request_id` it was made with.
    #[serde(default)]
    pub request_id: String,
}

/// `query_recover_bill`: the ad funds WeChat took back (after refunds of the orders they
/// paid for) in a time window, a page at a time.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let query = xpay::QueryRecoverBill {
///     page: 1,
///     page_size: 10,
///     filter: xpay::RecoverBillFilter { recover_time_begin: 0, recover_time_end: 1_764_547_199, bill_id: None },
/// };
/// assert!(query.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_recover_bill", response = QueryRecoverBillResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRecoverBill {
    /// The page, from 1.
    #[midas(positive)]
    pub page: i64,
    /// Records per page.
    #[midas(positive)]
    pub page_size: i64,
    /// Which recoveries.
    #[midas(json)]
    pub filter: RecoverBillFilter,
}

/// The filter of [`QueryRecoverBill`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecoverBillFilter {
    /// Recoveries at or after this time.
    pub recover_time_begin: i64,
    /// Recoveries at or before this time.
    pub recover_time_end: i64,
    /// Only this recovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_id: Option<String>,
}

/// The answer to [`QueryRecoverBill`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QueryRecoverBillResponse {
    /// The recoveries of the page.
    #[serde(default)]
    pub bill_list: Vec<RecoverBill>,
    /// How many pages the query has.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total_page: i64,
}

/// A recovery of ad funds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RecoverBill {
    /// The recovery's bill id.
    #[serde(default)]
    pub bill_id: String,
    /// When it happened.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub recover_time: i64,
    /// Start of the grant's settlement period.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_begin: i64,
    /// End of that period.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub settle_end: i64,
    /// The grant the funds were taken from.
    #[serde(default)]
    pub fund_id: String,
    /// The account they were taken from.
    #[serde(default)]
    pub recover_account_name: String,
    /// Fen taken back.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub recover_amount: i64,
    /// The refund orders behind it.
    #[serde(default)]
    pub refund_order_list: Vec<String>,
}

/// `download_adverfunds_order`: a link to the merchant orders a grant was earned on. The
/// file's format is not documented; fetch it as bytes.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let download = xpay::DownloadAdverfundsOrder { fund_id: "fund-0001".into() };
/// assert!(download.validate().is_ok());
/// assert!(xpay::DownloadAdverfundsOrder { fund_id: String::new() }.validate().is_err());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/download_adverfunds_order", response = DownloadAdverfundsOrderResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadAdverfundsOrder {
    /// The grant's `fund_id`.
    pub fund_id: String,
}

/// The answer to [`DownloadAdverfundsOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DownloadAdverfundsOrderResponse {
    /// Where the file is.
    pub url: String,
}
