//! Complaints players file about payments: list and read them, read the negotiation, answer
//! with evidence (images uploaded first with [`UploadVpFile`]), mark them handled, and sign
//! requests for the WeChat Pay images players attached.
//!
//! No body here carries an openid; `env` is only checked against `pay_sig`.
//!
//! Known drift, decoded tolerantly: `get_complaint_list` answers `total: 0` whenever `offset`
//! is not 0 (so `total` is only meaningful on the first page), and a negotiation record's
//! `complaint_media_list` can be one object where the docs say an array.

use serde::Deserialize;

use crate::{Rule, ValidationError, midas_api};

/// The most `upload_vp_file` takes as `base64_img`: 1 MiB of image (larger ones go by URL).
pub const MAX_UPLOAD_IMAGE_BYTES: usize = 1024 * 1024;

/// Where WeChat Pay serves complaint images; [`GetUploadFileSign`] signs URLs under it.
pub const WXPAY_IMAGE_PREFIX: &str = "https://api.mch.weixin.qq.com/v3/merchant-service/images/";

/// `get_complaint_list`: the complaints filed between two dates (`yyyy-mm-dd`, inclusive), a
/// slice at a time. Only the first slice (`offset` 0) has a meaningful `total`:
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let first = xpay::GetComplaintList::new("2026-11-01", "2026-11-30", 0, 20)?;
/// assert!(first.validate().is_ok());
/// assert_eq!(xpay::GetComplaintList::new("2026-11-31", "2026-12-01", 0, 20).expect_err("no such day").field(), "begin_date");
/// assert_eq!(xpay::GetComplaintList::new("2026-11-02", "2026-11-01", 0, 20).expect_err("backwards").field(), "end_date");
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/get_complaint_list", response = GetComplaintListResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetComplaintList {
    begin_date: String,
    end_date: String,
    offset: u32,
    #[midas(positive)]
    limit: u32,
}

impl GetComplaintList {
    /// Complaints from `begin_date` to `end_date` (real `yyyy-mm-dd` days, the end not before
    /// the start), skipping `offset` and returning at most `limit` (above 0).
    pub fn new(begin_date: &str, end_date: &str, offset: u32, limit: u32) -> Result<Self, ValidationError> {
        let begin = day("begin_date", begin_date)?;
        let end = day("end_date", end_date)?;
        if end < begin {
            return Err(ValidationError::new("end_date", Rule::Range { min: begin, max: 99_991_231 }));
        }
        midas_core::rules::positive("limit", &limit)?;
        Ok(Self { begin_date: begin_date.to_owned(), end_date: end_date.to_owned(), offset, limit })
    }

    /// The same dates and slice size, `offset` complaints in.
    #[must_use]
    pub fn at(&self, offset: u32) -> Self {
        Self { offset, ..self.clone() }
    }
}

/// `yyyy-mm-dd` of a real day, as the number `yyyymmdd` (so days compare as numbers).
fn day(field: &'static str, text: &str) -> Result<u64, ValidationError> {
    let invalid = || ValidationError::new(field, Rule::Range { min: 10_000_101, max: 99_991_231 });
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(at, b)| at == 4 || at == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let number = |range: core::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<u64>().ok());
    let (Some(year), Some(month), Some(date)) = (number(0..4), number(5..7), number(8..10)) else {
        return Err(invalid());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(invalid()),
    };
    if year == 0 || date == 0 || date > days {
        return Err(invalid());
    }
    Ok(year * 10_000 + month * 100 + date)
}

/// The answer to [`GetComplaintList`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetComplaintListResponse {
    /// How many complaints match: only meaningful when `offset` was 0 (Midas answers 0 on
    /// every later slice).
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total: i64,
    /// The complaints of the slice.
    #[serde(default)]
    pub complaints: Vec<Complaint>,
}

/// A complaint, as `get_complaint_list` and `get_complaint_detail` describe it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Complaint {
    /// The complaint's id.
    pub complaint_id: String,
    /// When it was filed, e.g. `2023-11-28T11:11:49+08:00`.
    #[serde(default)]
    pub complaint_time: String,
    /// What the player wrote.
    #[serde(default)]
    pub complaint_detail: String,
    /// `PENDING`, `PROCESSING` or `PROCESSED`.
    #[serde(default)]
    pub complaint_state: String,
    /// How to reach the player.
    #[serde(default)]
    pub payer_phone: String,
    /// The player's openid.
    #[serde(default)]
    pub payer_openid: String,
    /// The orders complained about.
    #[serde(default, deserialize_with = "crate::xpay::lenient::one_or_many")]
    pub complaint_order_info: Vec<ComplaintOrder>,
    /// Whether every order of it is fully refunded.
    #[serde(default, deserialize_with = "midas_core::bool_or_int")]
    pub complaint_full_refunded: bool,
    /// Whether a message of the player waits for an answer.
    #[serde(default, deserialize_with = "midas_core::bool_or_int")]
    pub incoming_user_response: bool,
    /// How many times the player complained (1, then one more per follow-up).
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub user_complaint_times: i64,
    /// Evidence the player attached.
    #[serde(default, deserialize_with = "crate::xpay::lenient::one_or_many")]
    pub complaint_media_list: Vec<ComplaintMedia>,
    /// The FAQ title the player chose.
    #[serde(default)]
    pub problem_description: String,
    /// `REFUND` (handle first), `SERVICE_NOT_WORK` or `OTHERS`.
    #[serde(default)]
    pub problem_type: String,
    /// For a refund request: the fen asked for.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub apply_refund_amount: i64,
    /// `TRUSTED` (eligible for a fast refund), `HIGH_RISK`, …
    #[serde(default)]
    pub user_tag_list: Vec<String>,
    /// Service orders linked to it.
    #[serde(default, deserialize_with = "crate::xpay::lenient::one_or_many")]
    pub service_order_info: Vec<ServiceOrder>,
}

/// An order a complaint is about.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ComplaintOrder {
    /// The WeChat Pay transaction id.
    #[serde(default)]
    pub transaction_id: String,
    /// The channel order id (`channel_order_id` of `query_order`).
    #[serde(default)]
    pub out_trade_no: String,
    /// The order's amount in fen.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub amount: i64,
    /// Your order id, as sent when the payment started.
    #[serde(default)]
    pub wxa_out_trade_no: String,
    /// The mini program's order id.
    #[serde(default)]
    pub wx_order_id: String,
}

/// A service order a complaint is linked to (its state when the complaint was filed).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ServiceOrder {
    /// The WeChat Pay service order id.
    #[serde(default)]
    pub order_id: String,
    /// Your service order id.
    #[serde(default)]
    pub out_order_no: String,
    /// `DOING`, `REVOKED`, `WAITPAY` or `DONE`.
    #[serde(default)]
    pub state: String,
}

/// Evidence attached to a complaint or a negotiation step.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ComplaintMedia {
    /// `USER_COMPLAINT_IMAGE` (with the complaint) or `OPERATION_IMAGE` (during negotiation).
    #[serde(default)]
    pub media_type: String,
    /// The files' URLs (WeChat Pay image URLs: see [`GetUploadFileSign`]).
    #[serde(default, deserialize_with = "crate::xpay::lenient::one_or_many")]
    pub media_url: Vec<String>,
}

/// `get_complaint_detail`: one complaint.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let detail = xpay::GetComplaintDetail { complaint_id: "200000020231128".into() };
/// assert!(detail.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/get_complaint_detail", response = GetComplaintDetailResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetComplaintDetail {
    /// The complaint's id.
    pub complaint_id: String,
}

/// The answer to [`GetComplaintDetail`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetComplaintDetailResponse {
    /// The complaint.
    pub complaint: Complaint,
}

/// `get_negotiation_history`: the steps of a complaint's negotiation, a slice at a time.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let history = xpay::GetNegotiationHistory { complaint_id: "200000020231128".into(), offset: 0, limit: 50 };
/// assert!(history.validate().is_ok());
/// assert!(xpay::GetNegotiationHistory { limit: 0, ..history }.validate().is_err());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/get_negotiation_history", response = GetNegotiationHistoryResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetNegotiationHistory {
    /// The complaint's id.
    pub complaint_id: String,
    /// Steps to skip.
    pub offset: u32,
    /// At most this many steps (above 0).
    #[midas(positive)]
    pub limit: u32,
}

/// The answer to [`GetNegotiationHistory`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetNegotiationHistoryResponse {
    /// How many steps there are.
    #[serde(default, deserialize_with = "crate::xpay::lenient::int_or_string")]
    pub total: i64,
    /// The steps of the slice, oldest first.
    #[serde(default)]
    pub history: Vec<NegotiationRecord>,
}

/// One step of a negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NegotiationRecord {
    /// The step's id.
    #[serde(default)]
    pub log_id: String,
    /// Who acted.
    #[serde(default)]
    pub operator: String,
    /// When, e.g. `2023-11-28T11:11:49+08:00`.
    #[serde(default)]
    pub operate_time: String,
    /// What: `USER_CREATE_COMPLAINT`, `MERCHANT_RESPONSE`, `MERCHANT_CONFIRM_COMPLETE`, …
    #[serde(default)]
    pub operate_type: String,
    /// The step's text.
    #[serde(default)]
    pub operate_details: String,
    /// Evidence of the step: an array in the docs, sometimes one object on the wire; both
    /// read as a list.
    #[serde(default, deserialize_with = "crate::xpay::lenient::one_or_many")]
    pub complaint_media_list: Vec<ComplaintMedia>,
}

/// `response_complaint`: answer the player, with images uploaded by [`UploadVpFile`] (their
/// `file_id`s; the list may be empty, and is always sent).
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// let answer = xpay::ResponseComplaint {
///     complaint_id: "200000020231128".into(),
///     response_content: "Refunded today; see the receipt.".into(),
///     response_images: vec!["file-1".into()],
/// };
/// assert!(answer.validate().is_ok());
/// assert!(xpay::ResponseComplaint { response_content: String::new(), ..answer }.validate().is_err());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/response_complaint", response = ResponseComplaintResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseComplaint {
    /// The complaint's id.
    pub complaint_id: String,
    /// The answer's text.
    pub response_content: String,
    /// `file_id`s from [`UploadVpFile`].
    #[midas(json)]
    pub response_images: Vec<String>,
}

/// The (empty) answer to [`ResponseComplaint`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResponseComplaintResponse {}

/// `complete_complaint`: mark a complaint handled.
///
/// ```
/// use midas_api::{MidasRequest, xpay};
/// assert!(xpay::CompleteComplaint { complaint_id: "200000020231128".into() }.validate().is_ok());
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/complete_complaint", response = CompleteComplaintResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteComplaint {
    /// The complaint's id.
    pub complaint_id: String,
}

/// The (empty) answer to [`CompleteComplaint`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CompleteComplaintResponse {}

/// `upload_vp_file`: upload an image to answer a complaint with. The image goes in the JSON
/// body, base64-encoded (`base64_img`, at most [`MAX_UPLOAD_IMAGE_BYTES`]), or as a URL Midas
/// downloads (`img_url`, up to 2 MiB, no redirects); the two constructors check before
/// anything is sent:
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
/// let upload = xpay::UploadVpFile::image("receipt.png", &png)?;
/// assert!(upload.validate().is_ok());
/// let text = xpay::UploadVpFile::image("notes.txt", b"not an image").expect_err("only images");
/// assert!(matches!(text.rule(), Rule::FileType { .. }));
/// let big = vec![0xff; xpay::MAX_UPLOAD_IMAGE_BYTES + 1];
/// assert_eq!(xpay::UploadVpFile::image("big.jpg", &big).expect_err("over 1 MiB").field(), "base64_img");
/// let by_url = xpay::UploadVpFile::url("receipt.jpg", "https://cdn.example.com/receipt.jpg")?;
/// assert!(xpay::UploadVpFile::url("receipt.jpg", "ftp://example.com/r.jpg").is_err());
/// # let _ = by_url;
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/upload_vp_file", response = UploadVpFileResponse, openid = false)]
#[derive(Clone, PartialEq, Eq)]
pub struct UploadVpFile {
    base64_img: Option<String>,
    img_url: Option<String>,
    file_name: String,
}

impl core::fmt::Debug for UploadVpFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UploadVpFile")
            .field("file_name", &self.file_name)
            .field("base64_img_len", &self.base64_img.as_ref().map(String::len))
            .field("img_url", &self.img_url)
            .finish()
    }
}

impl UploadVpFile {
    /// The image `bytes` (JPEG, PNG, GIF or BMP, 1 byte to 1 MiB), sent base64-encoded, named
    /// `file_name`.
    pub fn image(file_name: impl Into<String>, bytes: &[u8]) -> Result<Self, ValidationError> {
        let file_name = file_name.into();
        midas_core::rules::text("file_name", &file_name)?;
        if bytes.is_empty() || bytes.len() > MAX_UPLOAD_IMAGE_BYTES {
            return Err(ValidationError::new(
                "base64_img",
                Rule::Range { min: 1, max: MAX_UPLOAD_IMAGE_BYTES as u64 },
            ));
        }
        if image_type(bytes).is_none() {
            return Err(ValidationError::new(
                "base64_img",
                Rule::FileType { expected: "JPEG, PNG, GIF or BMP" },
            ));
        }
        Ok(Self { base64_img: Some(base64(bytes)), img_url: None, file_name })
    }

    /// The image at `url` (`http://` or `https://`, answering it directly), named `file_name`.
    pub fn url(file_name: impl Into<String>, url: impl Into<String>) -> Result<Self, ValidationError> {
        let (file_name, url) = (file_name.into(), url.into());
        midas_core::rules::text("file_name", &file_name)?;
        midas_core::rules::text("img_url", &url)?;
        let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        if host.is_none_or(|rest| rest.split(['/', '?', '#']).next().is_none_or(str::is_empty)) {
            return Err(ValidationError::new("img_url", Rule::Url));
        }
        Ok(Self { base64_img: None, img_url: Some(url), file_name })
    }

    /// The file's name.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// The image type `bytes` start with, if any of those Midas takes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.starts_with(b"BM") {
        Some("bmp")
    } else {
        None
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The answer to [`UploadVpFile`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UploadVpFileResponse {
    /// The file's id, for [`ResponseComplaint::response_images`].
    pub file_id: String,
}

/// `get_upload_file_sign`: the `Authorization` header for fetching an image a player attached
/// (a URL under [`WXPAY_IMAGE_PREFIX`]), and optionally a copy on COS valid for 30 minutes.
///
/// ```
/// use midas_api::{MidasRequest, Rule, xpay};
/// let url = format!("{}abc123", xpay::WXPAY_IMAGE_PREFIX);
/// let sign = xpay::GetUploadFileSign::new("200000020231128", url, true)?;
/// assert!(sign.validate().is_ok());
/// let elsewhere = xpay::GetUploadFileSign::new("200000020231128", "https://example.com/a.png", false);
/// assert_eq!(elsewhere.expect_err("not a WeChat Pay image").rule(), &Rule::Url);
/// # Ok::<(), midas_api::ValidationError>(())
/// ```
#[midas_api(scheme = "xpay", path = "/xpay/get_upload_file_sign", response = GetUploadFileSignResponse, openid = false)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetUploadFileSign {
    wxpay_url: String,
    convert_cos: bool,
    complaint_id: String,
}

impl GetUploadFileSign {
    /// Signs `wxpay_url` (a WeChat Pay image of complaint `complaint_id`); `convert_cos` asks
    /// for a temporary copy too.
    pub fn new(
        complaint_id: impl Into<String>,
        wxpay_url: impl Into<String>,
        convert_cos: bool,
    ) -> Result<Self, ValidationError> {
        let (complaint_id, wxpay_url) = (complaint_id.into(), wxpay_url.into());
        midas_core::rules::text("complaint_id", &complaint_id)?;
        midas_core::rules::text("wxpay_url", &wxpay_url)?;
        if wxpay_url.strip_prefix(WXPAY_IMAGE_PREFIX).is_none_or(str::is_empty) {
            return Err(ValidationError::new("wxpay_url", Rule::Url));
        }
        Ok(Self { wxpay_url, convert_cos, complaint_id })
    }
}

/// The answer to [`GetUploadFileSign`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetUploadFileSignResponse {
    /// The `Authorization` header value for the image request.
    pub sign: String,
    /// The temporary copy, when `convert_cos` was asked (absent or empty otherwise).
    #[serde(default)]
    pub cos_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::xpay::complaints::base64;

    #[test]
    fn base64_pads_every_tail_length() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }
}
