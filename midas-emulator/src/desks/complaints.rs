//! The complaint desk: the seven `/xpay/*` complaint APIs over one set of complaints.
//!
//! Players' side is driven from the test, through [`ComplaintsDesk`]:
//! [`open_complaint`](ComplaintsDesk::open_complaint) files a complaint as a player would (with
//! its images, served as WeChat Pay image URLs), [`player_reply`](ComplaintsDesk::player_reply)
//! adds a player's message. The APIs:
//!
//! - `get_complaint_list`: complaints whose `complaint_time` falls on a day from `begin_date`
//!   to `end_date` (`yyyy-mm-dd`), in filing order, `offset`/`limit` (1 or more). It reproduces
//!   Midas' drift: `total` is the number of matches when `offset` is 0, and **0 otherwise**.
//! - `get_complaint_detail`: one complaint (268490002 for an unknown id).
//! - `get_negotiation_history`: the steps, oldest first, `offset`/`limit`. A step's
//!   `complaint_media_list` is an array for the player's filing (as documented) and, as Midas
//!   sends it, **one object** for a merchant answer with images (the drift); empty otherwise.
//! - `upload_vp_file`: `img_url` (`http://` or `https://`; preferred when both are sent) or
//!   `base64_img` (valid base64 of a JPEG, PNG, GIF or BMP image of at most 1 MiB); anything
//!   else is 268490002. Answers a new `file_id`; the file is kept
//!   ([`ComplaintsDesk::uploaded_files`]).
//! - `response_complaint`: every `response_images` entry must be an uploaded `file_id`; the
//!   answer becomes a `MERCHANT_RESPONSE` step, the complaint `PROCESSING` with no player
//!   message waiting. A `PROCESSED` complaint is refused (268490002).
//! - `complete_complaint`: the complaint becomes `PROCESSED` with a `MERCHANT_CONFIRM_COMPLETE`
//!   step; completing it again is 268490004.
//! - `get_upload_file_sign`: for an image URL of that complaint (the player's or an answer's;
//!   268490002 otherwise), an `Authorization` value and, with `convert_cos`, a copy's URL
//!   under `https://cos.emulator.invalid/` (not served).
//!
//! Steps made through the APIs are stamped with the machine's clock (UTC).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use midas_core::Scheme;
use serde_json::{Value, json};

use crate::routes::{Route, RouteError, RouteFields, RouteRequest};

/// Where WeChat Pay serves complaint images.
const IMAGE_PREFIX: &str = "https://api.mch.weixin.qq.com/v3/merchant-service/images/";

/// The most `base64_img` may carry.
const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// The order a complaint is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintOrderRecord {
    /// The WeChat Pay transaction id.
    pub transaction_id: String,
    /// The channel order id.
    pub out_trade_no: String,
    /// The order's amount in fen.
    pub amount: i64,
    /// The game's order id.
    pub wxa_out_trade_no: String,
    /// The mini program's order id.
    pub wx_order_id: String,
}

/// A complaint as a player files it: the input of [`ComplaintsDesk::open_complaint`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlayerComplaint {
    /// The player's openid.
    pub payer_openid: String,
    /// How to reach the player.
    pub payer_phone: String,
    /// When it is filed, `yyyy-mm-ddTHH:MM:SS+08:00`: the list filters on its day.
    pub complaint_time: String,
    /// What the player writes.
    pub complaint_detail: String,
    /// `REFUND`, `SERVICE_NOT_WORK` or `OTHERS`.
    pub problem_type: String,
    /// The FAQ title the player chose.
    pub problem_description: String,
    /// For a refund request, the fen asked for.
    pub apply_refund_amount: i64,
    /// The order complained about.
    pub order: ComplaintOrderRecord,
    /// How many images the player attaches.
    pub images: usize,
}

/// One step of a complaint's negotiation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NegotiationStep {
    /// The step's id.
    pub log_id: String,
    /// Who acted.
    pub operator: String,
    /// When.
    pub operate_time: String,
    /// What, e.g. `MERCHANT_RESPONSE`.
    pub operate_type: String,
    /// The text.
    pub operate_details: String,
    /// The images of the step.
    pub media_urls: Vec<String>,
}

/// A complaint as the desk keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComplaintRecord {
    /// The complaint's id.
    pub complaint_id: String,
    /// What the player filed.
    pub filed: PlayerComplaint,
    /// `PENDING`, `PROCESSING` or `PROCESSED`.
    pub state: String,
    /// Whether a player message waits for an answer.
    pub incoming_user_response: bool,
    /// The URLs of the player's images.
    pub media_urls: Vec<String>,
    /// The negotiation, oldest first.
    pub history: Vec<NegotiationStep>,
}

/// How an uploaded file came.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadSource {
    /// `base64_img`: the decoded image.
    Image(Vec<u8>),
    /// `img_url`.
    Url(String),
}

/// A file `upload_vp_file` took.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// Its id.
    pub file_id: String,
    /// Its name.
    pub file_name: String,
    /// What was sent.
    pub source: UploadSource,
}

#[derive(Debug, Default)]
struct Book {
    complaints: Vec<ComplaintRecord>,
    files: Vec<UploadedFile>,
    signed: Vec<String>,
    next_id: u64,
}

impl Book {
    fn next(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:06}", self.next_id)
    }

    fn complaint(&mut self, request: &RouteRequest<'_>) -> Result<&mut ComplaintRecord, RouteError> {
        let id = request.text("complaint_id")?;
        self.complaints
            .iter_mut()
            .find(|complaint| complaint.complaint_id == id)
            .ok_or_else(|| request.invalid("complaint_id", "no such complaint"))
    }
}

/// The complaint desk of a running emulator ([`crate::Emulator::complaints`]): its APIs are
/// served, and its methods act as the players. Clones share the complaints.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), midas_emulator::StartError> {
/// use midas_emulator::{Emulator, PlayerComplaint};
/// let emulator = Emulator::start().await?;
/// let id = emulator.complaints().open_complaint(PlayerComplaint {
///     payer_openid: "player-1".into(),
///     complaint_time: "2026-11-28T11:11:49+08:00".into(),
///     complaint_detail: "Paid twice for one sword".into(),
///     problem_type: "REFUND".into(),
///     images: 1,
///     ..Default::default()
/// });
/// let complaint = emulator.complaints().complaint(&id).expect("just filed");
/// assert_eq!((complaint.state.as_str(), complaint.media_urls.len()), ("PENDING", 1));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ComplaintsDesk {
    book: Arc<Mutex<Book>>,
}

impl ComplaintsDesk {
    /// A desk without complaints.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The complaints; a panic elsewhere while they were held leaves them usable.
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The routes of the seven APIs.
    pub(crate) fn routes(&self) -> Vec<Route> {
        vec![
            self.route("/xpay/get_complaint_list", get_complaint_list),
            self.route("/xpay/get_complaint_detail", get_complaint_detail),
            self.route("/xpay/get_negotiation_history", get_negotiation_history),
            self.route("/xpay/response_complaint", response_complaint),
            self.route("/xpay/complete_complaint", complete_complaint),
            self.route("/xpay/upload_vp_file", upload_vp_file),
            self.route("/xpay/get_upload_file_sign", get_upload_file_sign),
        ]
    }

    fn route(&self, path: &'static str, handle: Handler) -> Route {
        let desk = self.clone();
        Route::new(Scheme::Xpay, path, false, move |request: &RouteRequest<'_>| {
            handle(&mut desk.book(), request)
        })
        .expect("an xpay path starting with `/` is a valid route")
    }

    /// Files `complaint` as its player would and returns its id. It starts `PENDING`, with a
    /// `USER_CREATE_COMPLAINT` step carrying its images.
    pub fn open_complaint(&self, complaint: PlayerComplaint) -> String {
        let mut book = self.book();
        let complaint_id = book.next("2000000");
        let media_urls: Vec<String> =
            (0..complaint.images).map(|n| format!("{IMAGE_PREFIX}{complaint_id}-{}", n + 1)).collect();
        let log_id = book.next("log-");
        let step = NegotiationStep {
            log_id,
            operator: "USER".into(),
            operate_time: complaint.complaint_time.clone(),
            operate_type: "USER_CREATE_COMPLAINT".into(),
            operate_details: complaint.complaint_detail.clone(),
            media_urls: media_urls.clone(),
        };
        book.complaints.push(ComplaintRecord {
            complaint_id: complaint_id.clone(),
            filed: complaint,
            state: "PENDING".into(),
            incoming_user_response: false,
            media_urls,
            history: vec![step],
        });
        complaint_id
    }

    /// Adds the player's message `text` to complaint `complaint_id`: a `USER_RESPONSE` step,
    /// waiting for an answer. Returns whether the complaint exists.
    pub fn player_reply(&self, complaint_id: &str, text: &str) -> bool {
        let mut book = self.book();
        let log_id = book.next("log-");
        let Some(complaint) = book.complaints.iter_mut().find(|c| c.complaint_id == complaint_id) else {
            return false;
        };
        complaint.incoming_user_response = true;
        complaint.history.push(step(log_id, "USER", "USER_RESPONSE", text, Vec::new()));
        true
    }

    /// The complaint `complaint_id`, if any.
    pub fn complaint(&self, complaint_id: &str) -> Option<ComplaintRecord> {
        self.book().complaints.iter().find(|c| c.complaint_id == complaint_id).cloned()
    }

    /// The files uploaded so far, in order.
    pub fn uploaded_files(&self) -> Vec<UploadedFile> {
        self.book().files.clone()
    }

    /// The image URLs `get_upload_file_sign` signed, in order.
    pub fn signed_urls(&self) -> Vec<String> {
        self.book().signed.clone()
    }
}

type Handler = fn(&mut Book, &RouteRequest<'_>) -> Result<RouteFields, RouteError>;

fn step(
    log_id: String,
    operator: &str,
    kind: &str,
    details: &str,
    media_urls: Vec<String>,
) -> NegotiationStep {
    NegotiationStep {
        log_id,
        operator: operator.into(),
        operate_time: now_rfc3339(),
        operate_type: kind.into(),
        operate_details: details.into(),
        media_urls,
    }
}

/// Now as `yyyy-mm-ddTHH:MM:SS+00:00`.
fn now_rfc3339() -> String {
    rfc3339(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs()))
}

/// Unix seconds `secs` as `yyyy-mm-ddTHH:MM:SS+00:00`.
fn rfc3339(secs: u64) -> String {
    let (days, rest) = (i64::try_from(secs / 86_400).unwrap_or(0), secs % 86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

fn fields(value: Value) -> RouteFields {
    match value {
        Value::Object(fields) => fields,
        _ => RouteFields::new(),
    }
}

/// `offset` (0 or more) and `limit` (1 or more) of a request.
fn slice(request: &RouteRequest<'_>) -> Result<(usize, usize), RouteError> {
    let offset = usize::try_from(request.integer("offset")?)
        .map_err(|_| request.invalid("offset", "must be 0 or more"))?;
    let limit = usize::try_from(request.integer("limit")?)
        .ok()
        .filter(|limit| *limit > 0)
        .ok_or_else(|| request.invalid("limit", "must be 1 or more"))?;
    Ok((offset, limit))
}

fn date<'a>(request: &RouteRequest<'a>, name: &str) -> Result<&'a str, RouteError> {
    let text = request.text(name)?;
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes
            .iter()
            .enumerate()
            .all(|(at, b)| if at == 4 || at == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if shaped { Ok(text) } else { Err(request.invalid(name, "must be yyyy-mm-dd")) }
}

fn media(kind: &str, urls: &[String]) -> Value {
    json!({ "media_type": kind, "media_url": urls })
}

fn complaint_json(complaint: &ComplaintRecord) -> Value {
    let filed = &complaint.filed;
    let order = &filed.order;
    let media_list: Vec<Value> = if complaint.media_urls.is_empty() {
        Vec::new()
    } else {
        vec![media("USER_COMPLAINT_IMAGE", &complaint.media_urls)]
    };
    json!({
        "complaint_id": complaint.complaint_id,
        "complaint_time": filed.complaint_time,
        "complaint_detail": filed.complaint_detail,
        "complaint_state": complaint.state,
        "payer_phone": filed.payer_phone,
        "payer_openid": filed.payer_openid,
        "complaint_order_info": [{
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "amount": order.amount,
            "wxa_out_trade_no": order.wxa_out_trade_no,
            "wx_order_id": order.wx_order_id,
        }],
        "complaint_full_refunded": false,
        "incoming_user_response": complaint.incoming_user_response,
        "user_complaint_times": 1,
        "complaint_media_list": media_list,
        "problem_description": filed.problem_description,
        "problem_type": filed.problem_type,
        "apply_refund_amount": filed.apply_refund_amount,
        "user_tag_list": [],
        "service_order_info": [],
    })
}

fn get_complaint_list(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let (begin, end) = (date(request, "begin_date")?, date(request, "end_date")?);
    let (offset, limit) = slice(request)?;
    let matching: Vec<&ComplaintRecord> = book
        .complaints
        .iter()
        .filter(|c| c.filed.complaint_time.get(..10).is_some_and(|day| (begin..=end).contains(&day)))
        .collect();
    // Midas' drift, reproduced: `total` only on the first slice.
    let total = if offset == 0 { matching.len() } else { 0 };
    let complaints: Vec<Value> =
        matching.iter().skip(offset).take(limit).map(|c| complaint_json(c)).collect();
    Ok(fields(json!({ "total": total, "complaints": complaints })))
}

fn get_complaint_detail(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let complaint = book.complaint(request)?;
    Ok(fields(json!({ "complaint": complaint_json(complaint) })))
}

fn get_negotiation_history(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let (offset, limit) = slice(request)?;
    let complaint = book.complaint(request)?;
    let history: Vec<Value> = complaint
        .history
        .iter()
        .skip(offset)
        .take(limit)
        .map(|step| {
            let media_list = match (step.media_urls.is_empty(), step.operator.as_str()) {
                (true, _) => json!([]),
                (false, "USER") => json!([media("USER_COMPLAINT_IMAGE", &step.media_urls)]),
                // Midas' drift, reproduced: one object where the docs say an array.
                (false, _) => media("OPERATION_IMAGE", &step.media_urls),
            };
            json!({
                "log_id": step.log_id,
                "operator": step.operator,
                "operate_time": step.operate_time,
                "operate_type": step.operate_type,
                "operate_details": step.operate_details,
                "complaint_media_list": media_list,
            })
        })
        .collect();
    Ok(fields(json!({ "total": complaint.history.len(), "history": history })))
}

fn response_complaint(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let content = request.text("response_content")?.to_owned();
    let images = match request.fields().get("response_images") {
        Some(Value::Array(images)) => images,
        Some(_) => return Err(request.invalid("response_images", "must be an array of file_id")),
        None => return Err(request.missing("response_images")),
    };
    let mut urls = Vec::with_capacity(images.len());
    for image in images {
        let known = image.as_str().filter(|id| book.files.iter().any(|file| file.file_id == *id));
        let Some(file_id) = known else {
            return Err(request.invalid("response_images", "not a file_id of upload_vp_file"));
        };
        urls.push(format!("{IMAGE_PREFIX}{file_id}"));
    }
    let log_id = book.next("log-");
    let complaint = book.complaint(request)?;
    if complaint.state == "PROCESSED" {
        return Err(request.invalid("complaint_id", "the complaint is already processed"));
    }
    complaint.state = "PROCESSING".into();
    complaint.incoming_user_response = false;
    complaint.history.push(step(log_id, "MERCHANT", "MERCHANT_RESPONSE", &content, urls));
    Ok(RouteFields::new())
}

fn complete_complaint(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let log_id = book.next("log-");
    let complaint = book.complaint(request)?;
    if complaint.state == "PROCESSED" {
        return Err(RouteError::new(268_490_004, "duplicate operation: the complaint is already processed"));
    }
    complaint.state = "PROCESSED".into();
    complaint.history.push(step(log_id, "MERCHANT", "MERCHANT_CONFIRM_COMPLETE", "", Vec::new()));
    Ok(RouteFields::new())
}

fn upload_vp_file(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let file_name = request.text("file_name")?.to_owned();
    let url = request.optional_text("img_url")?.filter(|url| !url.is_empty());
    let image = request.optional_text("base64_img")?.filter(|image| !image.is_empty());
    let source = match (url, image) {
        (Some(url), _) => {
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(str::is_empty) {
                return Err(request.invalid("img_url", "must be an http(s) URL"));
            }
            UploadSource::Url(url.to_owned())
        }
        (None, Some(image)) => {
            let bytes = decode_base64(image).ok_or_else(|| request.invalid("base64_img", "not base64"))?;
            if bytes.len() > MAX_IMAGE_BYTES {
                return Err(request.invalid("base64_img", "the image is over 1 MiB; send img_url"));
            }
            if !is_image(&bytes) {
                return Err(request.invalid("base64_img", "not a JPEG, PNG, GIF or BMP image"));
            }
            UploadSource::Image(bytes)
        }
        (None, None) => return Err(request.missing("base64_img")),
    };
    let file_id = book.next("file-");
    book.files.push(UploadedFile { file_id: file_id.clone(), file_name, source });
    Ok(fields(json!({ "file_id": file_id })))
}

fn get_upload_file_sign(book: &mut Book, request: &RouteRequest<'_>) -> Result<RouteFields, RouteError> {
    let url = request.text("wxpay_url")?.to_owned();
    let convert_cos = match request.fields().get("convert_cos") {
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(request.invalid("convert_cos", "must be a boolean")),
        None => return Err(request.missing("convert_cos")),
    };
    let signed = book.signed.len() + 1;
    let complaint = book.complaint(request)?;
    let known =
        complaint.media_urls.contains(&url) || complaint.history.iter().any(|s| s.media_urls.contains(&url));
    if !known {
        return Err(request.invalid("wxpay_url", "not an image of this complaint"));
    }
    let id = complaint.complaint_id.clone();
    book.signed.push(url);
    let sign = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"emulator{signed:08}\",timestamp=\"{}\",serial_no=\"EMULATOR\",signature=\"complaint-{id}-{signed}\"",
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
    );
    let mut answer = json!({ "sign": sign });
    if convert_cos {
        answer["cos_url"] = json!(format!("https://cos.emulator.invalid/complaints/{id}/{signed}"));
    }
    Ok(fields(answer))
}

/// Whether `bytes` start like a JPEG, PNG, GIF or BMP image.
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
        || bytes.starts_with(b"BM")
}

/// Standard base64 with padding, or `None` when `text` is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use crate::desks::complaints::{decode_base64, rfc3339};

    #[test]
    fn unix_seconds_become_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20+00:00");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59+00:00");
    }

    #[test]
    fn base64_decodes_padding_and_refuses_what_is_not_base64() {
        assert_eq!(decode_base64("TWFu").as_deref(), Some(&b"Man"[..]));
        assert_eq!(decode_base64("TWE=").as_deref(), Some(&b"Ma"[..]));
        assert_eq!(decode_base64("TQ==").as_deref(), Some(&b"M"[..]));
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert!(decode_base64("TQ=").is_none());
        assert!(decode_base64("T===").is_none());
        assert!(decode_base64("TQ==TWFu").is_none());
        assert!(decode_base64("TW!u").is_none());
    }
}
