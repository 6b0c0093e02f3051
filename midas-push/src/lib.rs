//! The receiving side of WeChat's payment pushes (virtual payment, mini-game payment 2.0),
//! framework-agnostic.
//!
//! - [`PushConfig`]: Token, EncodingAESKey, AppID, [`Mode`], the AppKeys of `PayEventSig`,
//!   and the safety options (body cap, freshness window, replay memory).
//! - [`Opener`]: the activation echo and the verification of a POST — signatures in constant
//!   time, AES-256-CBC with WeChat's 32-byte PKCS#7, the trailing AppID, `PayEventSig` — into
//!   a [`Push`] with a typed [`Event`] and its raw message.
//! - [`Seal`]: the other direction, as WeChat builds a push.
//! - [`Reply`] and [`Answer`]: the right body per family and format, the encrypted envelope,
//!   the iOS refund decision.
//! - [`Receiver`], [`Inbox`], [`Handler`]: exactly-once handling, in one of two modes
//!   ([`Acknowledge`]): the handler inside the answer budget (synchronous, the default), or the
//!   verified event stored durably, acknowledged at once, and handled by a [`Worker`] with
//!   retries until done (persist-then-ack; [`StoredEvent`]).
//! - [`sign`]: the signatures themselves; [`PushCipher`]: the message encryption.
//! - `axum` (feature): a router that mounts a receiver.
//!
//! Choices where WeChat documents nothing, each configurable:
//!
//! - A `timestamp` more than 5 minutes off is refused, and a `(timestamp, nonce)` pair is
//!   accepted once ([`PushConfig::freshness`], [`PushConfig::replay_capacity`]); bodies over
//!   64 KiB are refused ([`PushConfig::max_body`]).
//! - In plaintext mode only `signature` authenticates a push, and it does not cover the body:
//!   prefer safe mode. In safe mode a plain push is refused (no downgrade).
//! - An unknown event reaches the handler as [`Event::Unknown`] and is answered success
//!   ([`UnknownEvents`]); a mock push is verified and answered success without the handler
//!   ([`Receiver::deliver_mocks`]).
//! - `ErrCode` replies stay plaintext; the iOS refund decision is encrypted when the push
//!   was ([`ReplyEncryption`]). A failure reply carries `ErrCode` [`FAILURE_ERRCODE`].
//!
//! ```
//! use midas_push::{Event, ManualClock, Opener, PushConfig, Seal};
//! let config = PushConfig::builder()
//!     .token("AAAAA")
//!     .encoding_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
//!     .app_id("wxba5fad812f8e6fb9")
//!     .build()?;
//! let message = r#"{"Event":"xpay_refund_notify","MchRefundId":"r-1","RefundFee":"100"}"#;
//! let sealed = Seal::new(message, 1714112445, "415670741").seal(&config)?;
//! let opener = Opener::new(config).with_clock(ManualClock::new(1714112445));
//! let push = opener.open_raw(&sealed.query, &sealed.body)?;
//! let Event::XpayRefund(refund) = push.event() else { panic!("a refund") };
//! assert_eq!(refund.refund_fee, Some(100));
//! assert_eq!(push.event_key().as_str(), "refund:r-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[doc(hidden)]
pub mod __bench;
#[cfg(feature = "axum")]
pub mod axum;
mod body;
mod cipher;
mod clock;
mod config;
mod decode;
mod error;
mod event;
mod fields;
mod format;
mod handler;
mod inbox;
mod key;
mod metrics;
mod object;
mod open;
mod push;
mod query;
mod receiver;
mod replay;
mod reply;
mod seal;
mod secret;
pub mod sign;
mod stored;
mod worker;
mod xml;

pub use cipher::{Decrypted, OpenError, PushCipher};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{PushConfig, PushConfigBuilder, ReplyEncryption, UnknownEvents};
pub use error::{ConfigError, DecryptError, Malformed, PushError, Retry, SealError, SignatureKind};
pub use event::{
    CoinDelivery, CoinInfo, Complaint, Event, GoodsDelivery, GoodsInfo, IosRefundQuery, MiniGameRefund,
    RefundSource, Subscription, WeChatPayInfo, XpayRefund,
};
pub use format::{Family, Format, Mode};
pub use handler::{Handler, HandlerError};
pub use inbox::{Claim, Inbox, InboxError, MemoryInbox};
pub use key::{EventKey, KeyKind};
pub use open::Opener;
pub use push::Push;
pub use query::PushQuery;
pub use receiver::{Acknowledge, Receiver, Refusal, Refused};

/// The names of what a [`Receiver`] and its [`Worker`]s report through the `metrics` facade.
pub mod metric_names {
    pub use crate::metrics::{HANDLER_SECONDS, PROCESSED, RECEIVED};
}
pub use reply::{Answer, AnswerDecodeError, FAILURE_ERRCODE, IosRefundDecision, RefundAdvice, Reply};
pub use seal::{Seal, SealedPush};
pub use secret::{EncodingAesKey, Token};
pub use stored::{Stored, StoredEvent, StoredEventError};
pub use worker::{Processed, Worker};
