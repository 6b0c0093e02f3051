//! Replies: the body WeChat expects for each family and format, and the answers a handler
//! gives, which an [`Inbox`](crate::Inbox) stores so that a repeat gets the same reply.

use serde_json::{Map, Value, json};

use crate::cipher::PushCipher;
use crate::config::{PushConfig, ReplyEncryption};
use crate::error::{PushError, Retry, SealError};
use crate::event::Event;
use crate::format::{Family, Format};
use crate::push::Push;
use crate::seal::fresh_random;
use crate::sign;
use crate::xml;

/// The `ErrCode` of a failure reply: the documented mini-game value, used for xpay too
/// (xpay documents only that anything but 0 is a failure).
pub const FAILURE_ERRCODE: u32 = 99999;

/// An HTTP answer: status, content type and body.
///
/// ```
/// use midas_push::{Family, Format, Reply};
/// let reply = Reply::success(Family::MiniGame, Format::Json);
/// assert_eq!(reply.body(), r#"{"ErrCode":0,"ErrMsg":"Success"}"#);
/// assert_eq!(Reply::success(Family::Xpay, Format::Xml).body(),
///            "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    /// The answer to the activation GET: `echostr` verbatim, `text/plain`.
    pub fn echo(echostr: impl Into<String>) -> Self {
        Self { status: 200, content_type: "text/plain; charset=utf-8", body: echostr.into() }
    }

    /// The success reply of `family` in `format`.
    pub fn success(family: Family, format: Format) -> Self {
        match family {
            Family::Xpay => errcode(format, 0, "success", &[]),
            Family::MiniGame => errcode(format, 0, "Success", &[]),
            Family::Message => Self::text(200, "success"),
        }
    }

    /// The failure reply of `family` in `format` (`ErrCode` [`FAILURE_ERRCODE`] with
    /// `message`); WeChat pushes again. A plain message family answers HTTP 500.
    pub fn failure(family: Family, format: Format, message: &str) -> Self {
        match family {
            Family::Xpay | Family::MiniGame => errcode(format, FAILURE_ERRCODE, message, &[]),
            Family::Message => Self::text(500, message),
        }
    }

    /// The answer to a push refused before decoding: HTTP 400 when a retry cannot help,
    /// HTTP 503 when it can, with the error as text (it never holds a secret).
    pub fn refused(error: &PushError) -> Self {
        let status = match error.retry() {
            Retry::No => 400,
            Retry::Yes => 503,
        };
        Self::text(status, &error.to_string())
    }

    /// The reply to `push` for the handler's `answer`: the iOS refund decision when one was
    /// given for an iOS refund query, the family's success otherwise; encrypted when the push
    /// was an encrypted xpay push and [`ReplyEncryption`] asks for it.
    pub fn for_answer(
        push: &Push,
        answer: &Answer,
        config: &PushConfig,
        now: i64,
    ) -> Result<Self, SealError> {
        let (reply, decision) = match (answer, push.event()) {
            (Answer::IosRefund(decision), Event::XpayIosRefundQuery(_)) => {
                (decision.reply(push.format()), true)
            }
            _ => (Self::success(push.family(), push.format()), false),
        };
        let encrypt = push.was_encrypted()
            && push.family() == Family::Xpay
            && match config.reply_encryption() {
                ReplyEncryption::Never => false,
                ReplyEncryption::DecisionsOnly => decision,
                ReplyEncryption::Always => true,
            };
        if !encrypt {
            return Ok(reply);
        }
        let random = fresh_random()?;
        let nonce = u32::from_be_bytes([random[0], random[5], random[10], random[15]]).to_string();
        reply.encrypted(config, now, &nonce, fresh_random()?)
    }

    /// This reply inside the encrypted envelope: `Encrypt`, `MsgSignature`, `TimeStamp`,
    /// `Nonce`, in the reply's format. `random` must come from a CSPRNG.
    ///
    /// ```
    /// use midas_push::{Format, PushConfig, Reply};
    /// let config = PushConfig::builder()
    ///     .token("AAAAA")
    ///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    ///     .app_id("wxba5fad812f8e6fb9")
    ///     .build()?;
    /// let inner = Reply::json(r#"{"demo_resp":"good luck"}"#);
    /// let random = *b"707722b803182950";
    /// let reply = inner.encrypted(&config, 1713424427, "415670741", random)?;
    /// assert!(reply.body().contains(r#""MsgSignature":"1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypted(
        &self,
        config: &PushConfig,
        timestamp: i64,
        nonce: &str,
        random: [u8; 16],
    ) -> Result<Self, SealError> {
        let key = config.encoding_aes_key().ok_or(SealError::MissingAesKey(config.mode()))?;
        let encrypt = PushCipher::new(key, config.app_id()).encrypt(random, &self.body);
        let timestamp_text = timestamp.to_string();
        let signature = sign::msg_signature(config.token(), &timestamp_text, nonce, &encrypt);
        Ok(if self.content_type == Format::Xml.content_type() {
            let mut body = String::from("<xml>");
            xml::push_element(&mut body, "Encrypt", &encrypt);
            xml::push_element(&mut body, "MsgSignature", &signature);
            body.push_str("<TimeStamp>");
            body.push_str(&timestamp_text);
            body.push_str("</TimeStamp>");
            xml::push_element(&mut body, "Nonce", nonce);
            body.push_str("</xml>");
            Self { status: self.status, content_type: self.content_type, body }
        } else {
            let body = json!({"Encrypt": encrypt, "MsgSignature": signature, "TimeStamp": timestamp, "Nonce": nonce});
            Self { status: self.status, content_type: Format::Json.content_type(), body: body.to_string() }
        })
    }

    /// A JSON reply with this exact body, status 200.
    pub fn json(body: impl Into<String>) -> Self {
        Self { status: 200, content_type: Format::Json.content_type(), body: body.into() }
    }

    fn text(status: u16, body: &str) -> Self {
        Self { status, content_type: "text/plain; charset=utf-8", body: body.to_owned() }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The body.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// `{"ErrCode":…,"ErrMsg":…, extra…}` or its `<xml>` form, fields in this order.
fn errcode(format: Format, code: u32, message: &str, extra: &[(&'static str, Value)]) -> Reply {
    let body = match format {
        Format::Json => {
            let mut body = format!("{{\"ErrCode\":{code},\"ErrMsg\":{}", Value::from(message));
            for (name, value) in extra {
                body.push_str(&format!(",\"{name}\":{value}"));
            }
            body.push('}');
            body
        }
        Format::Xml => {
            let mut body = format!("<xml><ErrCode>{code}</ErrCode>");
            xml::push_element(&mut body, "ErrMsg", message);
            for (name, value) in extra {
                match value {
                    Value::String(text) => xml::push_element(&mut body, name, text),
                    other => body.push_str(&format!("<{name}>{other}</{name}>")),
                }
            }
            body.push_str("</xml>");
            body
        }
    };
    Reply { status: 200, content_type: format.content_type(), body }
}

/// `result_code` of the iOS refund decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundAdvice {
    /// 0: suggest that Apple refunds.
    SuggestRefund,
    /// 1: suggest that Apple refuses.
    Refuse,
}

/// The answer to `xpay_subscribe_ios_refund_query_notify`.
///
/// ```
/// use midas_push::{Format, IosRefundDecision, RefundAdvice};
/// let decision = IosRefundDecision::new(RefundAdvice::Refuse, "consumed").evidence("used 30 coins");
/// assert_eq!(decision.advice(), RefundAdvice::Refuse);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IosRefundDecision {
    advice: RefundAdvice,
    info: String,
    evidence: Option<String>,
}

impl IosRefundDecision {
    /// A decision with its `result_info`.
    pub fn new(advice: RefundAdvice, info: impl Into<String>) -> Self {
        Self { advice, info: info.into(), evidence: None }
    }

    /// Adds `evidence`.
    #[must_use]
    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// The advice.
    pub fn advice(&self) -> RefundAdvice {
        self.advice
    }

    /// `result_info`.
    pub fn info(&self) -> &str {
        &self.info
    }

    /// `evidence`, if given.
    pub fn evidence_text(&self) -> Option<&str> {
        self.evidence.as_deref()
    }

    fn fields(&self) -> Vec<(&'static str, Value)> {
        let code = match self.advice {
            RefundAdvice::SuggestRefund => 0,
            RefundAdvice::Refuse => 1,
        };
        let mut fields =
            vec![("result_code", Value::from(code)), ("result_info", Value::from(self.info.as_str()))];
        if let Some(evidence) = &self.evidence {
            fields.push(("evidence", Value::from(evidence.as_str())));
        }
        fields
    }

    /// The reply: the xpay success with `result_code`, `result_info` and `evidence` added.
    ///
    /// ```
    /// use midas_push::{Format, IosRefundDecision, RefundAdvice};
    /// let reply = IosRefundDecision::new(RefundAdvice::SuggestRefund, "not delivered").reply(Format::Json);
    /// assert_eq!(reply.body(),
    ///            r#"{"ErrCode":0,"ErrMsg":"success","result_code":0,"result_info":"not delivered"}"#);
    /// ```
    pub fn reply(&self, format: Format) -> Reply {
        errcode(format, 0, "success", &self.fields())
    }
}

/// What a handler decided about a push; stored by the [`Inbox`](crate::Inbox) and replayed to
/// every repeat of the same event.
///
/// ```
/// use midas_push::{Answer, IosRefundDecision, RefundAdvice};
/// let answer = Answer::IosRefund(IosRefundDecision::new(RefundAdvice::Refuse, "consumed"));
/// assert_eq!(Answer::decode(&answer.encode())?, answer);
/// # Ok::<(), midas_push::AnswerDecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Handled: answer the family's success.
    Success,
    /// Handled, with the iOS refund decision to answer.
    IosRefund(IosRefundDecision),
}

/// Stored answer text that [`Answer::decode`] cannot read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored answer text is not an encoded Answer")]
pub struct AnswerDecodeError;

impl Answer {
    /// A compact JSON text for a durable inbox: `{"answer":"success"}` or
    /// `{"answer":"ios_refund","result_code":…,"result_info":…,"evidence":…}`.
    pub fn encode(&self) -> String {
        match self {
            Self::Success => r#"{"answer":"success"}"#.to_owned(),
            Self::IosRefund(decision) => {
                let mut fields = Map::new();
                fields.insert("answer".to_owned(), Value::from("ios_refund"));
                fields.extend(decision.fields().into_iter().map(|(name, value)| (name.to_owned(), value)));
                Value::Object(fields).to_string()
            }
        }
    }

    /// Reads text written by [`encode`](Self::encode).
    pub fn decode(text: &str) -> Result<Self, AnswerDecodeError> {
        let fields: Map<String, Value> = serde_json::from_str(text).map_err(|_| AnswerDecodeError)?;
        match fields.get("answer").and_then(Value::as_str) {
            Some("success") => Ok(Self::Success),
            Some("ios_refund") => {
                let advice = match fields.get("result_code").and_then(Value::as_u64) {
                    Some(0) => RefundAdvice::SuggestRefund,
                    Some(1) => RefundAdvice::Refuse,
                    _ => return Err(AnswerDecodeError),
                };
                let info = fields.get("result_info").and_then(Value::as_str).ok_or(AnswerDecodeError)?;
                let mut decision = IosRefundDecision::new(advice, info);
                if let Some(evidence) = fields.get("evidence") {
                    decision = decision.evidence(evidence.as_str().ok_or(AnswerDecodeError)?);
                }
                Ok(Self::IosRefund(decision))
            }
            _ => Err(AnswerDecodeError),
        }
    }
}
