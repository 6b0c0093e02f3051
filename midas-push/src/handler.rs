//! The business logic of a push, and how it says no.

use core::future::Future;

use crate::push::Push;
use crate::reply::Answer;

/// A handler's refusal: in the synchronous mode the push is answered with a failure and WeChat
/// pushes it again; in the persist-then-ack mode the worker tries the stored event again later.
///
/// ```
/// use midas_push::HandlerError;
/// let err = HandlerError::new("inventory service unavailable");
/// assert_eq!(err.to_string(), "inventory service unavailable");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// A failure described by `message` (sent back to WeChat as `ErrMsg`: keep it free of
    /// secrets and personal data).
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure caused by `source`; only `message` is sent back.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }
}

/// The business logic of a push: deliver, refund, decide. It runs once per event — inside
/// the answer budget in the synchronous mode, in a [`Worker`](crate::Worker) in the
/// persist-then-ack mode — and its answer is what every repeat of the event gets.
///
/// Closures `Fn(Push) -> impl Future<Output = Result<Answer, HandlerError>>` are handlers;
/// so is any type implementing this trait:
///
/// ```
/// use midas_push::{Answer, Event, Handler, HandlerError, Push};
///
/// struct Shop;
///
/// impl Handler for Shop {
///     async fn handle(&self, push: &Push) -> Result<Answer, HandlerError> {
///         match push.event() {
///             Event::XpayGoodsDeliver(delivery) if delivery.goods_info.quantity.is_none() => {
///                 Err(HandlerError::new("no quantity"))
///             }
///             // Grant the goods of `delivery.out_trade_no` here.
///             _ => Ok(Answer::Success),
///         }
///     }
/// }
/// ```
pub trait Handler: Send + Sync {
    /// Handles one verified push.
    fn handle(&self, push: &Push) -> impl Future<Output = Result<Answer, HandlerError>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Push) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Answer, HandlerError>> + Send,
{
    fn handle(&self, push: &Push) -> impl Future<Output = Result<Answer, HandlerError>> + Send {
        self(push.clone())
    }
}
