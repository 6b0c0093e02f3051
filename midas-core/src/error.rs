//! Typed errors. None of them ever holds a secret: validation errors name a field and a rule,
//! signed strings are stored masked, URLs never enter a message.

use core::fmt;

use crate::Env;

/// The rule a value broke, as [`ValidationError::rule`] reports it.
///
/// ```
/// use midas_core::{Env, Rule};
/// let missing = Rule::MissingKey(Env::Production);
/// assert_eq!(missing.to_string(), "no app key is configured for the production environment");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The value must not be empty.
    NotEmpty,
    /// A bill number: 1 to 63 characters of `[0-9A-Za-z_-]`.
    BillNo,
    /// A Midas 2.0 bill number: as [`Rule::BillNo`], and not starting with `_`.
    BillNoV2,
    /// The number must not be zero.
    NonZero,
    /// The number must be greater than zero.
    Positive,
    /// No app key is configured for this environment.
    MissingKey(Env),
    /// A URL must start with `http://` or `https://` and name a host.
    Url,
    /// A duration outside the accepted range.
    Duration {
        /// Smallest accepted value, in milliseconds.
        min_ms: u64,
        /// Largest accepted value, in milliseconds.
        max_ms: u64,
    },
    /// A count outside the accepted range.
    Range {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// The value must not contain control characters.
    NoControlChars,
    /// A Midas 1.0 signed value must not contain `&` or `=`: the signing string joins pairs
    /// with them unescaped, so two different requests could sign alike.
    NoPairSeparators,
    /// The value is required here (e.g. a session key for an API that needs the player's
    /// signature).
    Required,
    /// A `#[midas(json)]` value must serialize to JSON.
    Json,
    /// An order number of a cash purchase (`outTradeNo`): 8 to 32 characters of
    /// `[0-9A-Za-z_-]`, not starting with `_`.
    OutTradeNo,
    /// A refund's own order number (`refund_order_id`): 8 to 32 characters of `[0-9A-Za-z_-]`.
    RefundOrderId,
    /// Text longer than the API takes, in UTF-8 bytes.
    MaxBytes(usize),
    /// The value must be written in the named format (a date `YYYYMMDD`, yuan with at most
    /// two decimals, …), or a relation between fields does not hold.
    Format(&'static str),
    /// A file must be of one of the accepted types (e.g. `"JPEG, PNG, GIF or BMP"`).
    FileType {
        /// The accepted types, for messages.
        expected: &'static str,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotEmpty => f.write_str("must not be empty"),
            Self::BillNo => f.write_str("must be 1 to 63 characters of [0-9A-Za-z_-]"),
            Self::BillNoV2 => {
                f.write_str("must be 1 to 63 characters of [0-9A-Za-z_-], not starting with `_`")
            }
            Self::NonZero => f.write_str("must not be zero"),
            Self::Positive => f.write_str("must be greater than zero"),
            Self::MissingKey(env) => write!(f, "no app key is configured for the {env} environment"),
            Self::Url => f.write_str("must be an http:// or https:// URL with a host"),
            Self::Duration { min_ms, max_ms } => {
                write!(f, "must be between {min_ms} ms and {max_ms} ms")
            }
            Self::Range { min, max } => write!(f, "must be between {min} and {max}"),
            Self::NoControlChars => f.write_str("must not contain control characters"),
            Self::NoPairSeparators => f.write_str(
                "must not contain `&` or `=` (Midas 1.0 signs `name=value` pairs joined by `&`, unescaped)",
            ),
            Self::Required => f.write_str("is required by this API"),
            Self::Json => f.write_str("must serialize to JSON"),
            Self::OutTradeNo => {
                f.write_str("must be 8 to 32 characters of [0-9A-Za-z_-], not starting with `_`")
            }
            Self::RefundOrderId => f.write_str("must be 8 to 32 characters of [0-9A-Za-z_-]"),
            Self::MaxBytes(max) => write!(f, "must be at most {max} bytes of UTF-8"),
            Self::Format(format) => write!(f, "must be {format}"),
            Self::FileType { expected } => write!(f, "must be a {expected} file"),
        }
    }
}

/// A value was refused before anything was sent.
///
/// ```
/// use midas_core::{Rule, ValidationError};
/// let err = ValidationError::new("bill_no", Rule::BillNo);
/// assert_eq!(err.field(), "bill_no");
/// assert_eq!(err.to_string(), "invalid `bill_no`: must be 1 to 63 characters of [0-9A-Za-z_-]");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {rule}")]
pub struct ValidationError {
    field: &'static str,
    rule: Rule,
}

impl ValidationError {
    /// A refusal of `field` (its wire or configuration name) for breaking `rule`.
    pub const fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }

    /// The name of the refused field.
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The rule it broke.
    pub const fn rule(&self) -> &Rule {
        &self.rule
    }
}

/// What kind of transport failure happened; it decides whether a retry can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made; nothing reached the server.
    Connect,
    /// No complete answer in time; the server may or may not have acted.
    Timeout,
    /// The connection failed after the request was sent; the server may have acted.
    Interrupted,
    /// The server answered with this non-success HTTP status.
    Status(u16),
    /// The answer was larger than the configured limit.
    BodyTooLarge,
    /// Anything else (TLS, protocol).
    Other,
}

/// The request did not produce a readable HTTP answer. Its [`TransportErrorKind`] says
/// whether sending again can help.
///
/// ```
/// use midas_core::{TransportError, TransportErrorKind};
/// let bad_gateway = TransportError::new(TransportErrorKind::Status(502), "HTTP error status");
/// assert!(bad_gateway.is_retryable());
/// assert_eq!(bad_gateway.to_string(), "transport error (Status(502)): HTTP error status");
/// let not_found = TransportError::new(TransportErrorKind::Status(404), "HTTP error status");
/// assert!(!not_found.is_retryable());
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[error("transport error ({kind:?}): {}", Escaped(message))]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// A transport failure. `message` must not contain the URL (it carries the access token).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// The kind of failure.
    pub const fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether sending the same request again can help: everything but a 4xx status.
    pub const fn is_retryable(&self) -> bool {
        match self.kind {
            TransportErrorKind::Status(status) => status >= 500,
            TransportErrorKind::BodyTooLarge => false,
            _ => true,
        }
    }
}

/// The answer came back but could not be read as the documented response.
///
/// ```
/// use midas_core::{DecodeError, Error};
/// let unreadable: Error = DecodeError::new("pay", "not JSON").into();
/// assert!(unreadable.is_retryable() && unreadable.may_have_applied(), "the outcome is unknown");
/// let after_success = DecodeError::after_success("pay", "missing field `balance`");
/// assert!(after_success.succeeded());
/// assert!(!Error::from(after_success).is_retryable(), "it was applied: do not pay again");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[error("cannot decode the {api} response: {}", Escaped(message))]
pub struct DecodeError {
    api: &'static str,
    message: String,
    succeeded: bool,
}

impl DecodeError {
    /// A body that cannot be read at all (not JSON, no `errcode`): the outcome is unknown.
    pub fn new(api: &'static str, message: impl Into<String>) -> Self {
        Self { api, message: message.into(), succeeded: false }
    }

    /// A body with `errcode` 0 whose success fields do not decode: the call did succeed.
    pub fn after_success(api: &'static str, message: impl Into<String>) -> Self {
        Self { api, message: message.into(), succeeded: true }
    }

    /// Whether Midas reported success (`errcode` 0) in the body that failed to decode. Then
    /// the operation was applied; otherwise its outcome is unknown.
    pub const fn succeeded(&self) -> bool {
        self.succeeded
    }

    /// The API whose response failed to decode.
    pub const fn api(&self) -> &'static str {
        self.api
    }

    /// What was wrong, e.g. "missing field `balance`".
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The meaning of a Midas `errcode`, per API generation
/// ([`Scheme::classify`](crate::Scheme::classify)).
///
/// ```
/// use midas_core::{ApiErrorKind, Scheme};
/// assert_eq!(Scheme::V1.classify(90013), ApiErrorKind::InsufficientBalance);
/// assert_eq!(Scheme::Xpay.classify(268_490_006), ApiErrorKind::InsufficientBalance);
/// assert_eq!(ApiErrorKind::auth(40163), ApiErrorKind::CodeUsed);
/// assert!(ApiErrorKind::Busy.is_retryable() && !ApiErrorKind::OrderExists.is_retryable());
/// assert_eq!(ApiErrorKind::OrderInProgress.to_string(), "order in progress");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// `-1`: system busy; the same request may be sent again.
    Busy,
    /// `90000`: the order does not exist.
    OrderNotFound,
    /// `90009`: the `mp_sig` (session key signature) was rejected.
    MpSigRejected,
    /// `90010`: the player is not logged in or the session expired.
    SessionExpired,
    /// `90011`: the `sig` (app key signature) was rejected.
    SigRejected,
    /// `90012`: an order with this `bill_no` already exists.
    OrderExists,
    /// `90013`: the balance is too low.
    InsufficientBalance,
    /// `90014`: the order is already confirmed and cannot be cancelled.
    AlreadyConfirmed,
    /// `90015` (Midas 1.0 `cancelpay`): this pay was already rolled back — by a cancel of the
    /// same `bill_no`, so by this same operation.
    AlreadyRolledBack,
    /// `268490005` (xpay): the pay was already refunded. A fact about the *pay*, which any
    /// refund order may have caused: it does not say this refund order succeeded.
    PayAlreadyRefunded,
    /// `90016`: the order is being processed; retry later with the same `bill_no`.
    OrderInProgress,
    /// `90017`: no permission to call this API.
    NoPermission,
    /// `90018`: a parameter was refused.
    InvalidParameter,
    /// `40001`, `40014`, `42001`: the access token is invalid or expired.
    TokenInvalid,
    /// `40029` (`code2session`): the login code is invalid.
    InvalidCode,
    /// `40163` (`code2session`): the login code was already used.
    CodeUsed,
    /// `45011`: too many calls in a minute.
    RateLimited,
    /// `268490013` (xpay `refund_order`): the order was written off and cannot be refunded.
    RefundForbidden,
    /// `268490016` (xpay `refund_order`): `left_fee` is not what is left of the order; read it
    /// again with `query_order` and send a new refund.
    LeftFeeMismatch,
    /// `268490011` (xpay `download_bill`): the file is still being generated; ask again later
    /// (`Client::poll_until_ready` does, with backoff, up to a bound).
    StillGenerating,
    /// Any other code, kept as it came.
    Other,
}

impl ApiErrorKind {
    /// The meaning of an errcode of the login APIs (`code2session`, `checksession`).
    pub const fn auth(errcode: i64) -> Self {
        match errcode {
            -1 => Self::Busy,
            40029 => Self::InvalidCode,
            40163 => Self::CodeUsed,
            45011 => Self::RateLimited,
            40001 | 40014 | 42001 => Self::TokenInvalid,
            _ => Self::Other,
        }
    }

    /// Whether sending the same request again (same `bill_no`) can help: after a pause for
    /// `Busy`, `OrderInProgress` and `RateLimited`, after a token refresh for `TokenInvalid`.
    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::Busy | Self::OrderInProgress | Self::TokenInvalid | Self::RateLimited)
    }

    /// Whether this is a signature rejection, where the signed string helps most.
    pub const fn is_signature_rejection(self) -> bool {
        matches!(self, Self::SigRejected | Self::MpSigRejected)
    }

    const fn describe(self) -> &'static str {
        match self {
            Self::Busy => "system busy",
            Self::OrderNotFound => "order not found",
            Self::MpSigRejected => "mp_sig rejected",
            Self::SessionExpired => "session expired",
            Self::SigRejected => "sig rejected",
            Self::OrderExists => "order already exists",
            Self::InsufficientBalance => "insufficient balance",
            Self::AlreadyConfirmed => "order already confirmed",
            Self::AlreadyRolledBack => "order already rolled back",
            Self::PayAlreadyRefunded => "the pay was already refunded",
            Self::OrderInProgress => "order in progress",
            Self::NoPermission => "no permission",
            Self::InvalidParameter => "parameter error",
            Self::TokenInvalid => "access token invalid or expired",
            Self::InvalidCode => "invalid login code",
            Self::CodeUsed => "login code already used",
            Self::RateLimited => "rate limited",
            Self::RefundForbidden => "the order cannot be refunded",
            Self::LeftFeeMismatch => "left_fee does not match the order",
            Self::StillGenerating => "data still being generated",
            Self::Other => "unrecognised errcode",
        }
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The strings that were signed, with every secret replaced by `***`: what
/// [`ApiError::signed`] holds after a signature rejection.
///
/// ```
/// use midas_core::{ApiError, ApiErrorKind, MaskedSigned};
/// let sig = "amt=10&appid=wx1234567&org_loc=/cgi-bin/midas/pay&method=POST&secret=***";
/// let signed = MaskedSigned { sig: sig.into(), mp_sig: None };
/// let error = ApiError::new("pay", 90011, "sig error", ApiErrorKind::SigRejected).with_signed(signed);
/// assert!(error.to_string().ends_with(&format!("sig was computed over `{sig}`")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedSigned {
    /// What `sig` was computed over.
    pub sig: String,
    /// What `mp_sig` was computed over, when one was sent.
    pub mp_sig: Option<String>,
}

/// Midas answered with a non-zero `errcode`.
///
/// ```
/// use midas_core::{ApiError, ApiErrorKind};
/// let error = ApiError::new("pay", 90013, "balance not enough", ApiErrorKind::InsufficientBalance);
/// assert_eq!((error.errcode(), error.kind()), (90013, ApiErrorKind::InsufficientBalance));
/// assert!(!error.is_retryable());
/// assert_eq!(
///     error.to_string(),
///     "pay failed with errcode 90013 (insufficient balance): balance not enough"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct ApiError {
    api: &'static str,
    errcode: i64,
    errmsg: String,
    kind: ApiErrorKind,
    signed: Option<MaskedSigned>,
    refresh_failure: Option<Box<TokenError>>,
}

impl ApiError {
    /// An error answer of `api`, with the meaning `kind` of its `errcode`.
    pub fn new(api: &'static str, errcode: i64, errmsg: impl Into<String>, kind: ApiErrorKind) -> Self {
        Self { api, errcode, errmsg: errmsg.into(), kind, signed: None, refresh_failure: None }
    }

    /// Attaches the masked signed strings (kept for signature rejections).
    #[must_use]
    pub fn with_signed(mut self, signed: MaskedSigned) -> Self {
        self.signed = Some(signed);
        self
    }

    /// Attaches why a fresh token could not be had after this token rejection.
    #[must_use]
    pub fn with_refresh_failure(mut self, failure: TokenError) -> Self {
        self.refresh_failure = Some(Box::new(failure));
        self
    }

    /// Why refreshing the token failed, when this rejection could not be answered with a fresh
    /// token (a static token, a forced-refresh limit, the token endpoint refusing).
    pub fn refresh_failure(&self) -> Option<&TokenError> {
        self.refresh_failure.as_deref()
    }

    /// The API that answered, e.g. `"present"`.
    pub const fn api(&self) -> &'static str {
        self.api
    }

    /// The `errcode` as it came.
    pub const fn errcode(&self) -> i64 {
        self.errcode
    }

    /// The `errmsg` as it came (`Display` shows it with control characters escaped).
    pub fn errmsg(&self) -> &str {
        &self.errmsg
    }

    /// The meaning of the code for this API.
    pub const fn kind(&self) -> ApiErrorKind {
        self.kind
    }

    /// The masked signed strings, present on signature rejections.
    pub const fn signed(&self) -> Option<&MaskedSigned> {
        self.signed.as_ref()
    }

    /// Whether sending the same request again can help.
    pub const fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

/// Text from the other side of the wire, shown with its control characters escaped (`\n`,
/// `\u{1b}`), so a server's `errmsg` cannot forge log lines or terminal escapes.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(char::is_control) {
            f.write_str(&rest[..at])?;
            let control = rest[at..].chars().next().unwrap_or_default();
            write!(f, "{}", control.escape_default())?;
            rest = &rest[at + control.len_utf8()..];
        }
        f.write_str(rest)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errmsg = Escaped(&self.errmsg);
        write!(f, "{} failed with errcode {} ({}): {errmsg}", self.api, self.errcode, self.kind)?;
        if let Some(signed) = &self.signed {
            write!(f, "; sig was computed over `{}`", signed.sig)?;
            if let Some(mp_sig) = &signed.mp_sig {
                write!(f, "; mp_sig over `{mp_sig}`")?;
            }
        }
        if let Some(failure) = &self.refresh_failure {
            write!(f, "; refreshing the token failed: {failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Every way a Midas call can fail.
///
/// What a game server does after a failed pay: the variants that settle an order's fate
/// first, then [`Error::may_have_applied`] for the rest.
///
/// ```
/// use midas_core::{ApiError, ApiErrorKind, Error};
///
/// fn next_step(error: &Error) -> &'static str {
///     match error {
///         Error::AlreadyProcessed { .. } => "deliver: an earlier attempt paid",
///         Error::OrderIdTaken { .. } => "send it again with a new bill_no",
///         Error::Api(api) if api.kind() == ApiErrorKind::InsufficientBalance => "ask for a top-up",
///         Error::Unresolved { .. } => "reconcile: send again with the same bill_no",
///         error if error.may_have_applied() => "reconcile: send again with the same bill_no",
///         _ => "nothing was deducted",
///     }
/// }
/// let done = Error::AlreadyProcessed { api: "pay", bill_no: "order-0001".into() };
/// assert_eq!(next_step(&done), "deliver: an earlier attempt paid");
/// let short = ApiError::new("pay", 90013, "balance not enough", ApiErrorKind::InsufficientBalance);
/// assert_eq!(next_step(&short.into()), "ask for a top-up");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused before sending.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// No readable answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An answer that is not the documented response.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Midas refused the request.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// An earlier attempt of this same call may have been applied, and Midas now answers that
    /// this same operation already succeeded (1.0 and 2.0 `90012` order exists, 1.0 `90015`
    /// already rolled back, xpay `268490004` duplicate operation).
    ///
    /// What it proves depends on the generation:
    /// - **Midas 2.0 and xpay**: the client looked the order up (`queryorderinfo`,
    ///   `query_order`) and found it among this player's orders — for xpay with this
    ///   request's amount; Midas 2.0's lookup carries no amount. An order id held by another
    ///   order is [`Error::OrderIdTaken`] instead.
    /// - **Midas 1.0** has no lookup: Midas says an order with this `bill_no` exists for the
    ///   app, nothing more. It is this call's own order exactly when your `bill_no`s are never
    ///   reused across orders; otherwise reconcile (balance totals, your books).
    #[error("{api} with order id `{bill_no}` was already processed by an earlier attempt")]
    AlreadyProcessed {
        /// The API, e.g. `"pay"`.
        api: &'static str,
        /// The idempotency key that was kept across the attempts.
        bill_no: String,
    },
    /// Midas says an order with this order id exists, but the lookup shows it is not this
    /// request (another player's, another amount): the id was reused for a different order.
    /// Nothing of this call was applied under it; send it again with a new order id.
    #[error("{api}: order id `{order_id}` is taken by a different order (another player or amount)")]
    OrderIdTaken {
        /// The API, e.g. `"currency_pay"`.
        api: &'static str,
        /// The order id that another order holds.
        order_id: String,
    },
    /// The client gave up after an attempt that may have been applied, and the last answer
    /// alone would not say so (a connection refused, a refusal of the retry): the outcome is
    /// unknown. Send the same request again (same order id) or look the order up; never
    /// treat it as not applied.
    #[error(
        "{api} with order id `{order_id}`: outcome unknown, an earlier attempt may have been applied; last error: {last}"
    )]
    Unresolved {
        /// The API, e.g. `"pay"`.
        api: &'static str,
        /// The idempotency key of the call.
        order_id: String,
        /// The last attempt's error.
        last: Box<Error>,
    },
    /// No access token could be had.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The client's journal (midas-api's `journal` feature) stopped the call, or could not
    /// record what it came to.
    #[error(transparent)]
    Journal(#[from] JournalFailure),
}

/// What a journaled call's journal said: see [`JournalFailure::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalFailureKind {
    /// The order id is recorded for a different order (another player, amount or field):
    /// nothing was sent. Order ids are never reused.
    OrderIdReused,
    /// Another instance is sending this order now (its lease is live): nothing was sent; the
    /// same call later returns its outcome.
    InProgress,
    /// The journal could not record the intent (its database failed): nothing was sent — a
    /// money call that cannot be journaled is not sent.
    Unavailable,
    /// The call was sent but what it came to could not be recorded: treat it as unknown; the
    /// entry stays pending and a reconciler resolves it.
    OutcomeNotRecorded,
    /// The order was resolved earlier as needing a person's attention (e.g. a Midas 1.0 order
    /// past its 48-hour window whose outcome stayed unknown).
    NeedsAttention,
}

/// A journaled call the journal stopped or could not record.
///
/// ```
/// use midas_core::{Error, JournalFailure, JournalFailureKind};
/// let busy = JournalFailure::new(JournalFailureKind::InProgress, "pay", "order-0001", "leased elsewhere");
/// assert_eq!(busy.kind(), JournalFailureKind::InProgress);
/// assert!(!Error::Journal(busy).may_have_applied());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{api} with order id `{order_id}`: {}", Escaped(message))]
pub struct JournalFailure {
    kind: JournalFailureKind,
    api: &'static str,
    order_id: String,
    message: String,
}

impl JournalFailure {
    /// A failure of `kind` for the order `order_id` of `api`, with what the journal said.
    pub fn new(
        kind: JournalFailureKind,
        api: &'static str,
        order_id: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self { kind, api, order_id: order_id.into(), message: message.into() }
    }

    /// What happened.
    pub const fn kind(&self) -> JournalFailureKind {
        self.kind
    }

    /// The API of the call.
    pub const fn api(&self) -> &'static str {
        self.api
    }

    /// The order id of the call.
    pub fn order_id(&self) -> &str {
        &self.order_id
    }

    /// What the journal said.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the call may have moved money (it was sent, or its outcome is unresolved).
    pub const fn may_have_applied(&self) -> bool {
        matches!(self.kind, JournalFailureKind::OutcomeNotRecorded | JournalFailureKind::NeedsAttention)
    }
}

impl Error {
    /// Whether sending the same request again (same `bill_no`) can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Validation(_) | Self::AlreadyProcessed { .. } | Self::OrderIdTaken { .. } => false,
            Self::Transport(err) => err.is_retryable(),
            // An unreadable body leaves the outcome unknown, like a timeout.
            Self::Decode(err) => !err.succeeded(),
            Self::Api(err) => err.is_retryable(),
            Self::Token(err) => err.is_retryable(),
            // The same order id settles it: applied once, or applied now.
            Self::Unresolved { .. } => true,
            Self::Journal(err) => {
                matches!(err.kind(), JournalFailureKind::InProgress | JournalFailureKind::Unavailable)
            }
        }
    }

    /// Whether the call that failed with this error may have moved money: then its order must
    /// be reconciled (sent again with the same order id, or looked up), never assumed undone.
    ///
    /// True for answers that may come after the server applied the call (timeouts, dropped
    /// connections, 5xx, an answer too large to read, an unreadable answer, busy, in
    /// progress), for [`Error::AlreadyProcessed`] (it was applied) and [`Error::Unresolved`];
    /// false when nothing can have been applied (refused before sending, connection refused,
    /// a 4xx, a definite refusal).
    ///
    /// ```
    /// use midas_core::{Error, TransportError, TransportErrorKind};
    /// let timeout: Error = TransportError::new(TransportErrorKind::Timeout, "no answer").into();
    /// assert!(timeout.may_have_applied());
    /// let refused: Error = TransportError::new(TransportErrorKind::Connect, "refused").into();
    /// assert!(!refused.may_have_applied());
    /// ```
    pub fn may_have_applied(&self) -> bool {
        match self {
            Self::Validation(_) | Self::Token(_) | Self::OrderIdTaken { .. } => false,
            Self::Transport(err) => match err.kind() {
                TransportErrorKind::Connect => false,
                TransportErrorKind::Status(status) => status >= 500,
                _ => true,
            },
            Self::Decode(_) | Self::AlreadyProcessed { .. } | Self::Unresolved { .. } => true,
            Self::Api(err) => matches!(err.kind(), ApiErrorKind::Busy | ApiErrorKind::OrderInProgress),
            Self::Journal(err) => err.may_have_applied(),
        }
    }

    /// The API error, if Midas answered with one (also as the last answer of an
    /// [`Error::Unresolved`] call).
    ///
    /// ```
    /// use midas_core::{ApiError, ApiErrorKind, Error};
    /// let busy = ApiError::new("pay", -1, "system error", ApiErrorKind::Busy);
    /// let last = Box::new(Error::Api(busy));
    /// let gave_up = Error::Unresolved { api: "pay", order_id: "order-0001".into(), last };
    /// assert_eq!(gave_up.as_api().map(ApiError::kind), Some(ApiErrorKind::Busy));
    /// ```
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(err) => Some(err),
            Self::Unresolved { last, .. } => last.as_api(),
            _ => None,
        }
    }
}

/// Why a token source could not give a token.
///
/// ```
/// use midas_core::{Error, TokenError};
/// let limited = TokenError::new(Some(45011), "errcode 45011: api minute-quota reach limit", true);
/// assert_eq!(limited.errcode(), Some(45011));
/// assert!(limited.is_retryable());
/// let error: Error = limited.into();
/// assert!(!error.may_have_applied(), "without a token nothing was sent");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[error("access token unavailable: {}", Escaped(message))]
pub struct TokenError {
    errcode: Option<i64>,
    message: String,
    retryable: bool,
}

impl TokenError {
    /// A failure with an optional WeChat `errcode`. The message must not contain a secret.
    pub fn new(errcode: Option<i64>, message: impl Into<String>, retryable: bool) -> Self {
        Self { errcode, message: message.into(), retryable }
    }

    /// The WeChat `errcode`, when the token endpoint answered with one.
    pub const fn errcode(&self) -> Option<i64> {
        self.errcode
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether asking again later can help.
    pub const fn is_retryable(&self) -> bool {
        self.retryable
    }
}
