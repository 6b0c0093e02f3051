//! Bills and exports: the bill of a range of days, order exports, iOS settlement bills.
//!
//! `download_bill` answers 268490011 ([`ApiErrorKind::StillGenerating`](crate::ApiErrorKind))
//! until its file is ready; [`Client::poll_until_ready`](crate::Client::poll_until_ready) asks
//! again with backoff. The URLs it hands back are fetched with
//! [`Client::download`](crate::Client::download). Bill formats are not documented: the bytes are
//! handed over as they come.

use core::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::{Rule, ValidationError, midas_api};

/// A calendar day, sent as the number `YYYYMMDD` (e.g. `20230801`); only real dates can be made.
///
/// ```
/// use midas_api::xpay::BillDate;
/// let day = BillDate::parse("20240229")?;
/// assert_eq!((day.year(), day.month(), day.day()), (2024, 2, 29));
/// assert!(BillDate::parse("20230229").is_err(), "2023 is not a leap year");
/// assert!(BillDate::new(2023, 13, 1).is_err());
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillDate {
    year: u16,
    month: u8,
    day: u8,
}

const DATE_FORMAT: Rule = Rule::Format("a calendar date YYYYMMDD between 2000 and 9999");

impl BillDate {
    /// The day `day` of `month` in `year` (2000 to 9999).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        let valid = (2000..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in(year, month);
        if valid { Ok(Self { year, month, day }) } else { Err(ValidationError::new("date", DATE_FORMAT)) }
    }

    /// `YYYYMMDD`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let refuse = || ValidationError::new("date", DATE_FORMAT);
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let part = |range: core::ops::Range<usize>| text.get(range).unwrap_or_default();
        match (part(0..4).parse(), part(4..6).parse(), part(6..8).parse()) {
            (Ok(year), Ok(month), Ok(day)) => Self::new(year, month, day),
            _ => Err(refuse()),
        }
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// `YYYYMMDD` as a number.
    pub fn number(self) -> u32 {
        u32::from(self.year) * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }

    /// Days since 0000-03-01 of the proleptic Gregorian calendar (for spans between dates).
    fn ordinal(self) -> i64 {
        let (month, year) = (i64::from(self.month), i64::from(self.year));
        let (year, month) = if month <= 2 { (year - 1, month + 12) } else { (year, month) };
        365 * year + year / 4 - year / 100 + year / 400 + (153 * (month - 3) + 2) / 5 + i64::from(self.day)
            - 1
    }

    /// Whole days from `self` to `later`.
    pub fn days_until(self, later: Self) -> i64 {
        later.ordinal() - self.ordinal()
    }
}

fn days_in(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for BillDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for BillDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.number())
    }
}

/// A month, sent as the text `YYYYMM` (e.g. `"202601"`).
///
/// ```
/// use midas_api::xpay::BillMonth;
/// assert_eq!(BillMonth::parse("202601")?.to_string(), "202601");
/// assert!(BillMonth::parse("20266").is_err(), "six digits");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillMonth {
    year: u16,
    month: u8,
}

const MONTH_FORMAT: Rule = Rule::Format("a month YYYYMM between 2000 and 9999");

impl BillMonth {
    /// `month` (1 to 12) of `year` (2000 to 9999).
    pub fn new(year: u16, month: u8) -> Result<Self, ValidationError> {
        if (2000..=9999).contains(&year) && (1..=12).contains(&month) {
            Ok(Self { year, month })
        } else {
            Err(ValidationError::new("month", MONTH_FORMAT))
        }
    }

    /// `YYYYMM`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let refuse = || ValidationError::new("month", MONTH_FORMAT);
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        match (text.get(0..4).and_then(|y| y.parse().ok()), text.get(4..6).and_then(|m| m.parse().ok())) {
            (Some(year), Some(month)) => Self::new(year, month),
            _ => Err(refuse()),
        }
    }

    /// The year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }
}

impl fmt::Display for BillMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}

impl Serialize for BillMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `begin` not after `end`.
fn ordered<T: PartialOrd>(begin: T, end: T, field: &'static str) -> Result<(), ValidationError> {
    if begin <= end {
        Ok(())
    } else {
        Err(ValidationError::new(field, Rule::Format("a range whose start is not after its end")))
    }
}

/// `download_bill`: the bill of the days `begin_ds` to `end_ds`. The first call starts the
/// generation and answers 268490011; ask again until `url` comes (valid 30 minutes). The page
/// of this API could not be found: fields as the public SDKs send them, the days as numbers as
/// `start_download_order` types them.
///
/// ```
/// use midas_api::xpay::{BillDate, DownloadBill};
/// let bill = DownloadBill::new(BillDate::parse("20230801")?, BillDate::parse("20230807")?)?;
/// assert_eq!(bill.begin_ds().to_string(), "20230801");
/// assert!(DownloadBill::new(BillDate::parse("20230807")?, BillDate::parse("20230801")?).is_err());
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/download_bill", response = DownloadBillResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadBill {
    #[midas(json)]
    begin_ds: BillDate,
    #[midas(json)]
    end_ds: BillDate,
}

impl DownloadBill {
    /// The bill of `begin_ds` to `end_ds`, both included (`begin_ds` not after `end_ds`).
    pub fn new(begin_ds: BillDate, end_ds: BillDate) -> Result<Self, ValidationError> {
        ordered(begin_ds, end_ds, "end_ds")?;
        Ok(Self { begin_ds, end_ds })
    }

    /// The first day.
    pub fn begin_ds(&self) -> BillDate {
        self.begin_ds
    }

    /// The last day.
    pub fn end_ds(&self) -> BillDate {
        self.end_ds
    }
}

/// The answer to [`DownloadBill`] once the file is ready.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DownloadBillResponse {
    /// Where to fetch the bill, for 30 minutes.
    pub url: String,
}

/// What an order export lists (`order_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportOrderType {
    /// 1: coin (token) orders.
    Coins,
    /// 2: direct purchases of goods.
    Goods,
    /// 3: subscriptions.
    Subscriptions,
    /// 4: refunds.
    Refunds,
}

impl ExportOrderType {
    /// The wire value.
    pub const fn value(self) -> i64 {
        match self {
            Self::Coins => 1,
            Self::Goods => 2,
            Self::Subscriptions => 3,
            Self::Refunds => 4,
        }
    }
}

impl Serialize for ExportOrderType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.value())
    }
}

/// Through which channel the exported orders were paid (`pay_channel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayChannel {
    /// 1: virtual payment.
    VirtualPayment,
    /// 2: Apple in-app purchase.
    AppleIap,
}

impl Serialize for PayChannel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(match self {
            Self::VirtualPayment => 1,
            Self::AppleIap => 2,
        })
    }
}

/// Which refunds an export of [`ExportOrderType::Refunds`] lists (`refund_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundFilter {
    /// 0: all of them.
    All,
    /// 2: refunded.
    Refunded,
    /// 4: being refunded.
    Refunding,
    /// 5: refund failed.
    Failed,
}

impl Serialize for RefundFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(match self {
            Self::All => 0,
            Self::Refunded => 2,
            Self::Refunding => 4,
            Self::Failed => 5,
        })
    }
}

/// The longest span of an order export, in days between `begin_ds` and `end_ds`.
pub const MAX_EXPORT_DAYS: i64 = 31;

/// `start_download_order`: start a task exporting orders of one type and pay channel over at
/// most [`MAX_EXPORT_DAYS`] days; read it with [`QueryDownloadOrder`].
///
/// ```
/// use midas_api::xpay::{BillDate, ExportOrderType, PayChannel, StartDownloadOrder};
/// let (begin, end) = (BillDate::parse("20260401")?, BillDate::parse("20260420")?);
/// let export = StartDownloadOrder::new(begin, end, ExportOrderType::Goods, PayChannel::VirtualPayment)?
///     .with_provided(false)?
///     .with_order_info("order-0001")?;
/// assert_eq!(export.order_type(), ExportOrderType::Goods);
/// let too_long = StartDownloadOrder::new(begin, BillDate::parse("20260601")?, ExportOrderType::Coins, PayChannel::VirtualPayment);
/// assert!(too_long.is_err(), "at most 31 days");
/// assert!(StartDownloadOrder::new(begin, end, ExportOrderType::Coins, PayChannel::AppleIap)?.with_provided(true).is_err(),
///     "the delivery filter is for goods and subscriptions");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/start_download_order", response = StartDownloadOrderResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartDownloadOrder {
    #[midas(json)]
    begin_ds: BillDate,
    #[midas(json)]
    end_ds: BillDate,
    #[midas(json)]
    order_type: ExportOrderType,
    order_info: Option<String>,
    is_provided: Option<bool>,
    #[midas(json)]
    refund_status: Option<RefundFilter>,
    #[midas(json)]
    pay_channel: PayChannel,
}

impl StartDownloadOrder {
    /// An export of `order_type` orders paid through `pay_channel` from `begin_ds` to `end_ds`
    /// (in order, at most [`MAX_EXPORT_DAYS`] apart). Goods and subscriptions exports list the
    /// delivered orders unless [`Self::with_provided`] says otherwise.
    pub fn new(
        begin_ds: BillDate,
        end_ds: BillDate,
        order_type: ExportOrderType,
        pay_channel: PayChannel,
    ) -> Result<Self, ValidationError> {
        ordered(begin_ds, end_ds, "end_ds")?;
        if begin_ds.days_until(end_ds) > MAX_EXPORT_DAYS {
            return Err(ValidationError::new("end_ds", Rule::Format("at most 31 days after begin_ds")));
        }
        let is_provided =
            matches!(order_type, ExportOrderType::Goods | ExportOrderType::Subscriptions).then_some(true);
        Ok(Self {
            begin_ds,
            end_ds,
            order_type,
            order_info: None,
            is_provided,
            refund_status: None,
            pay_channel,
        })
    }

    /// Only orders whose id, merchant order id or player matches `keyword`.
    pub fn with_order_info(mut self, keyword: impl Into<String>) -> Result<Self, ValidationError> {
        let keyword = keyword.into();
        crate::__private0_1::rules::text("order_info", &keyword)?;
        self.order_info = Some(keyword);
        Ok(self)
    }

    /// Delivered (`true`) or undelivered orders; goods and subscriptions exports only.
    pub fn with_provided(mut self, provided: bool) -> Result<Self, ValidationError> {
        if self.is_provided.is_none() {
            return Err(ValidationError::new(
                "is_provided",
                Rule::Format("given only for goods and subscription exports"),
            ));
        }
        self.is_provided = Some(provided);
        Ok(self)
    }

    /// Which refunds; refund exports only.
    pub fn with_refund_status(mut self, filter: RefundFilter) -> Result<Self, ValidationError> {
        if self.order_type != ExportOrderType::Refunds {
            return Err(ValidationError::new("refund_status", Rule::Format("given only for refund exports")));
        }
        self.refund_status = Some(filter);
        Ok(self)
    }

    /// What the export lists.
    pub fn order_type(&self) -> ExportOrderType {
        self.order_type
    }
}

/// The answer to [`StartDownloadOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StartDownloadOrderResponse {
    /// The export task, for [`QueryDownloadOrder`].
    pub task_id: String,
}

/// `query_download_order`: an export task's state, and its file's URL once it succeeded.
///
/// ```
/// use midas_api::xpay::{DownloadOrderResponse, ExportStatus, QueryDownloadOrder};
/// let query = QueryDownloadOrder { task_id: "task-1".into() };
/// let answer: DownloadOrderResponse = serde_json::from_str(r#"{"errcode":0,"errmsg":"",
///     "task_id":"","status":2,"download_url":"","expire_at":1745328000}"#)?;
/// assert_eq!((answer.status(), answer.expire_at), (ExportStatus::Succeeded, 1_745_328_000));
/// # let _ = query;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/query_download_order", response = DownloadOrderResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryDownloadOrder {
    /// The task, from [`StartDownloadOrderResponse`].
    pub task_id: String,
}

/// The answer to [`QueryDownloadOrder`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DownloadOrderResponse {
    /// The task.
    #[serde(default)]
    pub task_id: String,
    /// 0 created, 1 running, 2 succeeded, 3 failed ([`Self::status`] reads it).
    pub status: i64,
    /// The file's URL, once succeeded.
    #[serde(default)]
    pub download_url: String,
    /// When the URL expires, in Unix seconds (0 before).
    #[serde(default)]
    pub expire_at: i64,
}

impl DownloadOrderResponse {
    /// The state of the task.
    pub fn status(&self) -> ExportStatus {
        match self.status {
            0 => ExportStatus::Created,
            1 => ExportStatus::Running,
            2 => ExportStatus::Succeeded,
            3 => ExportStatus::Failed,
            other => ExportStatus::Other(other),
        }
    }
}

/// The state of an export task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportStatus {
    /// 0: created.
    Created,
    /// 1: running.
    Running,
    /// 2: the file is ready.
    Succeeded,
    /// 3: failed.
    Failed,
    /// A value the docs do not list.
    Other(i64),
}

/// `download_ios_settlement_bill`: the iOS settlement bills of the months `start_month` to
/// `end_month`.
///
/// ```
/// use midas_api::xpay::{BillMonth, DownloadIosSettlementBill, IosSettlementBillResponse};
/// let query = DownloadIosSettlementBill::new(BillMonth::parse("202601")?, BillMonth::parse("202606")?)?;
/// assert!(DownloadIosSettlementBill::new(BillMonth::parse("202606")?, BillMonth::parse("202601")?).is_err());
/// let answer: IosSettlementBillResponse = serde_json::from_str(
///     r#"{"errcode":0,"errmsg":"","bill_list":[{"month":"202501","bill_url":"https://..."}]}"#,
/// ).expect("the documented example");
/// assert_eq!(answer.bill_list[0].month, "202501");
/// # let _ = query;
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/download_ios_settlement_bill", response = IosSettlementBillResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadIosSettlementBill {
    #[midas(json)]
    start_month: BillMonth,
    #[midas(json)]
    end_month: BillMonth,
}

impl DownloadIosSettlementBill {
    /// The bills of `start_month` to `end_month` (in order).
    pub fn new(start_month: BillMonth, end_month: BillMonth) -> Result<Self, ValidationError> {
        ordered(start_month, end_month, "end_month")?;
        Ok(Self { start_month, end_month })
    }
}

/// The answer to [`DownloadIosSettlementBill`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IosSettlementBillResponse {
    /// One bill per month that has one.
    #[serde(default)]
    pub bill_list: Vec<IosSettlementBill>,
}

/// One month's iOS settlement bill.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IosSettlementBill {
    /// `YYYYMM`.
    pub month: String,
    /// Where to fetch it, for a limited time.
    pub bill_url: String,
}
