//! Sealing: the sending side of a push, as WeChat builds it. A local server sends pushes with
//! it, and tests prove `open(seal(m)) == m`.

use serde_json::{Map, Value};

use crate::cipher::PushCipher;
use crate::config::PushConfig;
use crate::error::SealError;
use crate::format::{Format, Mode};
use crate::sign;
use crate::xml;

/// A sealed push: the query string (without `?`) and the body to POST.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedPush {
    /// `signature=…&timestamp=…&nonce=…` (and `&encrypt_type=aes&msg_signature=…`).
    pub query: String,
    /// The body.
    pub body: Vec<u8>,
}

/// One message to seal, with the request values WeChat would choose.
///
/// ```
/// use midas_push::{ManualClock, Opener, PushConfig, Seal};
/// let config = PushConfig::builder()
///     .token("AAAAA")
///     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
///     .app_id("wxba5fad812f8e6fb9")
///     .build()?;
/// let message = r#"{"MsgType":"event","Event":"debug_demo"}"#;
/// let sealed = Seal::new(message, 1714112445, "415670741").seal(&config)?;
/// let opener = Opener::new(config).with_clock(ManualClock::new(1714112445));
/// assert_eq!(opener.open_raw(&sealed.query, &sealed.body)?.message(), message);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Seal<'a> {
    message: &'a str,
    timestamp: i64,
    nonce: &'a str,
    mode: Option<Mode>,
    format: Option<Format>,
    random: Option<[u8; 16]>,
    to_user_name: Option<&'a str>,
}

impl<'a> Seal<'a> {
    /// Seals `message` with request `timestamp` and `nonce`.
    pub fn new(message: &'a str, timestamp: i64, nonce: &'a str) -> Self {
        Self { message, timestamp, nonce, mode: None, format: None, random: None, to_user_name: None }
    }

    /// The mode to seal in (default: the configured one). Compatible mode seals encrypted,
    /// with the plaintext fields beside `Encrypt`.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The body format of an encrypted push (default: the message's own format, JSON when it
    /// has none).
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// The 16 random bytes of the plaintext (default: fresh from the operating system).
    pub fn random(mut self, random: [u8; 16]) -> Self {
        self.random = Some(random);
        self
    }

    /// `ToUserName` of a safe-mode body (default: none).
    pub fn to_user_name(mut self, name: &'a str) -> Self {
        self.to_user_name = Some(name);
        self
    }

    /// Signs (and in compatible or safe mode, encrypts) the message.
    pub fn seal(&self, config: &PushConfig) -> Result<SealedPush, SealError> {
        let mode = self.mode.unwrap_or(config.mode());
        let timestamp = self.timestamp.to_string();
        let token = config.token();
        let mut query = String::new();
        push_pair(&mut query, "signature", &sign::signature(token, &timestamp, self.nonce));
        push_pair(&mut query, "timestamp", &timestamp);
        push_pair(&mut query, "nonce", self.nonce);
        if mode == Mode::Plaintext {
            return Ok(SealedPush { query, body: self.message.as_bytes().to_vec() });
        }
        if u32::try_from(self.message.len()).is_err() {
            return Err(SealError::TooLong);
        }
        let key = config.encoding_aes_key().ok_or(SealError::MissingAesKey(mode))?;
        let random = match self.random {
            Some(random) => random,
            None => fresh_random()?,
        };
        let encrypt = PushCipher::new(key, config.app_id()).encrypt(random, self.message);
        push_pair(&mut query, "encrypt_type", "aes");
        push_pair(&mut query, "msg_signature", &sign::msg_signature(token, &timestamp, self.nonce, &encrypt));
        let format = self.format.or_else(|| Format::sniff(self.message.as_bytes())).unwrap_or(Format::Json);
        let body = match (mode, format) {
            (Mode::Compatible, Format::Json) => {
                let mut fields: Map<String, Value> =
                    serde_json::from_str(self.message).map_err(|_| SealError::NotAnObject)?;
                fields.insert("Encrypt".to_owned(), Value::String(encrypt));
                Value::Object(fields).to_string()
            }
            (Mode::Compatible, _) => {
                let trimmed = self.message.trim_end();
                let head = trimmed.strip_suffix("</xml>").ok_or(SealError::NotAnObject)?;
                let mut body = head.to_owned();
                xml::push_element(&mut body, "Encrypt", &encrypt);
                body.push_str("</xml>");
                body
            }
            (_, Format::Json) => {
                let mut fields = Map::new();
                if let Some(name) = self.to_user_name {
                    fields.insert("ToUserName".to_owned(), Value::String(name.to_owned()));
                }
                fields.insert("Encrypt".to_owned(), Value::String(encrypt));
                Value::Object(fields).to_string()
            }
            (_, Format::Xml) => {
                let mut body = String::from("<xml>");
                if let Some(name) = self.to_user_name {
                    xml::push_element(&mut body, "ToUserName", name);
                }
                xml::push_element(&mut body, "Encrypt", &encrypt);
                body.push_str("</xml>");
                body
            }
        };
        Ok(SealedPush { query, body: body.into_bytes() })
    }
}

/// 16 bytes from the operating system's CSPRNG.
pub(crate) fn fresh_random() -> Result<[u8; 16], SealError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|_| SealError::Random)?;
    Ok(random)
}

/// Appends `name=value`, percent-encoding every byte outside the unreserved set.
fn push_pair(query: &mut String, name: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(name);
    query.push('=');
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            query.push(char::from(byte));
        } else {
            query.push_str(&format!("%{byte:02X}"));
        }
    }
}
